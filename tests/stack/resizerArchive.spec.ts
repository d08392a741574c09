// The Resizer's archive is reproducible: locked packages, installed for the Lambda's platform, the same bytes
// on every machine and every build.
import { expect } from "chai";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    bundleResizerHandler,
    installSharp,
    npmCommand,
    RESIZER_PACKAGES_DIR,
    resizerLockHash,
    sharpVersion,
} from "../../infra/builders/resizerArchive";
import { PROJECT_DIR } from "../support/program";

/**
 * What decides the archive's bytes, independent of zip timestamps: every file's relative path (sorted, `/`
 * separated), its permission bits (Pulumi keeps the executable bit) and its content hash. Symlinks by target.
 */
function treeHash(root: string): string {
    const hash = createHash("sha256");
    const walk = (dir: string): void => {
        for (const name of fs.readdirSync(dir).sort()) {
            const file = path.join(dir, name);
            const rel = path.relative(root, file).split(path.sep).join("/");
            const stat = fs.lstatSync(file);
            if (stat.isDirectory()) walk(file);
            else if (stat.isSymbolicLink()) hash.update(`L ${rel} ${fs.readlinkSync(file)}\n`);
            else
                hash.update(
                    `F ${rel} ${(stat.mode & 0o777).toString(8)} ${createHash("sha256").update(fs.readFileSync(file)).digest("hex")}\n`,
                );
        }
    };
    walk(root);
    return hash.digest("hex");
}

describe("Resizer archive (infra/builders/resizerArchive.ts, infra/resizer-packages)", () => {
    const lock = JSON.parse(fs.readFileSync(path.join(RESIZER_PACKAGES_DIR, "package-lock.json"), "utf8"));
    const manifest = JSON.parse(fs.readFileSync(path.join(RESIZER_PACKAGES_DIR, "package.json"), "utf8"));

    it("locks the exact sharp the project is tested with, and both Lambda architectures' binaries", () => {
        const testedSharp = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package-lock.json"), "utf8")).packages[
            "node_modules/sharp"
        ].version;
        expect(manifest.dependencies.sharp, "an exact version, not a range").to.match(/^\d+\.\d+\.\d+$/);
        expect(manifest.dependencies.sharp).to.equal(testedSharp);
        expect(sharpVersion()).to.equal(testedSharp);
        for (const binary of [
            "@img/sharp-linux-arm64",
            "@img/sharp-linux-x64",
            "@img/sharp-libvips-linux-arm64",
            "@img/sharp-libvips-linux-x64",
        ]) {
            const entry = lock.packages[`node_modules/${binary}`];
            expect(entry, binary).to.not.equal(undefined);
            expect(entry.integrity, `${binary} is integrity-pinned`).to.match(/^sha512-/);
        }
        expect(lock.packages["node_modules/@img/sharp-linux-arm64"].version).to.equal(testedSharp);
        expect(lock.packages["node_modules/@img/sharp-linux-x64"].version).to.equal(testedSharp);
    });

    describe("two builds give the same bytes (npm ci of the lock into two build roots; bundle twice)", () => {
        const roots: string[] = [];
        after(() => {
            for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
        });

        it("installs an identical node_modules tree (paths, modes, contents) and bundles an identical index.js", async () => {
            for (let i = 0; i < 2; i++) roots.push(fs.mkdtempSync(path.join(os.tmpdir(), `resizer-build-${i}-`)));
            const [first, second] = await Promise.all(roots.map((root) => installSharp("arm64", root)));
            expect(path.basename(path.dirname(first))).to.equal(
                `resizer-packages-${resizerLockHash()}-linux-arm64-glibc`,
            );
            expect(
                fs
                    .readdirSync(path.join(first, "@img"))
                    .filter((name) => name.startsWith("sharp-"))
                    .sort(),
            ).to.deep.equal(["sharp-libvips-linux-arm64", "sharp-linux-arm64"]);
            expect(treeHash(first)).to.equal(treeHash(second));
            const [codeA, codeB] = await Promise.all([bundleResizerHandler(), bundleResizerHandler()]);
            expect(createHash("sha256").update(codeA).digest("hex")).to.equal(
                createHash("sha256").update(codeB).digest("hex"),
            );
        });

        it("ships only the locked packages for linux-arm64 (no build or dev tools, no other platform's binary)", async () => {
            const nodeModules = await installSharp("arm64", roots[0]);
            const installed = fs
                .readdirSync(nodeModules)
                .filter((name) => !name.startsWith("."))
                .flatMap((name) =>
                    name.startsWith("@")
                        ? fs.readdirSync(path.join(nodeModules, name)).map((inner) => `${name}/${inner}`)
                        : [name],
                );
            for (const name of installed)
                expect(lock.packages[`node_modules/${name}`], `${name} is in the Resizer's lock`).to.not.equal(
                    undefined,
                );
            expect(installed).to.include("sharp");
            expect(
                installed.filter((name) => /esbuild|typescript|ts-node|mocha|pulumi|aws-sdk/.test(name)),
            ).to.deep.equal([]);
            expect(
                installed.filter((name) => name.startsWith("@img/sharp-") && !name.endsWith("linux-arm64")),
            ).to.deep.equal([]);
        });

        it("does not install again while the lockfile is unchanged (cache directory named by its hash)", async () => {
            const nodeModules = await installSharp("arm64", roots[0]);
            const sentinel = path.join(nodeModules, "..", "sentinel");
            fs.writeFileSync(sentinel, "a reinstall would replace this directory");
            expect(await installSharp("arm64", roots[0])).to.equal(nodeModules);
            expect(fs.existsSync(sentinel), "the directory was not reinstalled").to.equal(true);
        });
    });

    describe("npm is started in a way that works on Windows too (node + npm-cli.js, no .cmd shim)", () => {
        const existing = (files: string[]) => (file: string) => files.includes(file);

        it("prefers npm_execpath (set under npm run / npx)", () => {
            const command = npmCommand(["ci"], {
                execPath: "/usr/bin/node",
                env: { npm_execpath: "/opt/npm/bin/npm-cli.js" },
                exists: existing(["/opt/npm/bin/npm-cli.js"]),
                pathApi: path.posix,
            });
            expect(command).to.deep.equal({ file: "/usr/bin/node", args: ["/opt/npm/bin/npm-cli.js", "ci"] });
        });

        it("finds npm beside node.exe on Windows, and never runs the npm.cmd shim", () => {
            const node = "C:\\Program Files\\nodejs\\node.exe";
            const cli = "C:\\Program Files\\nodejs\\node_modules\\npm\\bin\\npm-cli.js";
            const command = npmCommand(["ci", "--cpu=arm64"], {
                execPath: node,
                env: {},
                exists: existing([cli]),
                pathApi: path.win32 as any,
            });
            expect(command).to.deep.equal({ file: node, args: [cli, "ci", "--cpu=arm64"] });
        });

        it("finds npm under <prefix>/lib/node_modules on Linux and macOS, and ignores an npm_execpath that is not npm (yarn, pnpm)", () => {
            const cli = "/usr/local/lib/node_modules/npm/bin/npm-cli.js";
            const command = npmCommand(["ci"], {
                execPath: "/usr/local/bin/node",
                env: { npm_execpath: "/usr/local/lib/node_modules/pnpm/bin/pnpm.cjs" },
                exists: existing([cli]),
                pathApi: path.posix,
            });
            expect(command.args[0]).to.equal(cli);
        });

        it("says where it looked when npm is nowhere", () => {
            expect(() =>
                npmCommand(["ci"], { execPath: "/x/node", env: {}, exists: () => false, pathApi: path.posix }),
            ).to.throw("npm's cli.js was not found");
        });

        it("resolves to a real npm-cli.js on this machine", () => {
            const { file, args } = npmCommand(["--version"]);
            expect(file).to.equal(process.execPath);
            expect(fs.existsSync(args[0])).to.equal(true);
        });
    });
});
