// functions/resize/Dockerfile, read as text (no Docker daemon here): sharp from the Lambda archive's lockfile for
// the target platform, a non-root user, the Lambda's Node version, a context that holds what it copies; and its
// esbuild step, run here exactly as written, gives a bundle that starts and answers the health check.
import { expect } from "chai";
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { HEALTH_PATH } from "../../functions/resize/server";
import { encodeResizeContainerSettings } from "../../functions/resize/settings";
import { RESIZER_DOCKERFILE } from "../../infra/resize";
import { LAMBDA_RUNTIME } from "../../infra/builders/lambdaRuntime";
import { PROJECT_DIR } from "../support/program";
import { listeningPort } from "../support/resizeContainer";

const DOCKERFILE = path.join(PROJECT_DIR, RESIZER_DOCKERFILE);

interface Stage {
    from: string;
    name?: string;
    instructions: string[];
}

/** The Dockerfile's stages, each with its instructions (continuation lines joined, comments dropped). */
function stages(text: string): Stage[] {
    const lines = text
        .replace(/\\\n/g, " ")
        .split("\n")
        .map((line) => line.trim())
        .filter((line) => line && !line.startsWith("#"));
    const args = Object.fromEntries(
        lines.filter((l) => /^ARG \w+=/.test(l)).map((l) => l.slice(4).split("=", 2) as [string, string]),
    );
    const result: Stage[] = [];
    for (const line of lines) {
        const from = /^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(line);
        if (from)
            result.push({
                from: from[1].replace(/\$\{(\w+)\}/g, (_, name) => args[name]),
                name: from[2],
                instructions: [],
            });
        else result.at(-1)?.instructions.push(line);
    }
    return result;
}

describe(`the Resizer's Dockerfile (${RESIZER_DOCKERFILE})`, () => {
    const text = fs.readFileSync(DOCKERFILE, "utf8");
    const all = stages(text);
    const final = all.at(-1)!;
    const stage = (name: string) => all.find((s) => s.name === name)!;

    it("installs sharp with npm ci from infra/resizer-packages' lockfile, for linux, the target's CPU and glibc", () => {
        const sharp = stage("sharp");
        expect(sharp.instructions).to.include(
            "COPY infra/resizer-packages/package.json infra/resizer-packages/package-lock.json ./",
        );
        const install = sharp.instructions.find((i) => i.startsWith("RUN") && i.includes("npm ci"))!;
        expect(install)
            .to.match(/--os=linux/)
            .and.match(/--cpu="\$cpu"/)
            .and.match(/--libc=glibc/);
        expect(install).to.include("--omit=dev");
        // Docker's TARGETARCH says amd64 where npm says x64; arm64 is the same word in both.
        expect(sharp.instructions).to.include("ARG TARGETARCH");
        expect(install).to.include('[ "$TARGETARCH" = amd64 ] && echo x64 || echo "$TARGETARCH"');
    });

    it("the final image gets exactly that node_modules and the bundle, and nothing from the build's own node_modules", () => {
        const copies = final.instructions.filter((i) => i.startsWith("COPY"));
        expect(copies).to.deep.equal([
            "COPY --from=sharp --chown=root:root /packages/node_modules ./node_modules",
            "COPY --from=bundle --chown=root:root /out/index.js ./index.js",
        ]);
        expect(final.instructions.at(-1)).to.equal('CMD ["node", "index.js"]');
    });

    it("runs as a non-root user, set before the command", () => {
        const users = final.instructions.filter((i) => i.startsWith("USER "));
        expect(users).to.have.length(1);
        expect(users[0]).to.not.match(/^USER\s+(root|0)(:|$)/);
        expect(final.instructions.indexOf(users[0])).to.be.lessThan(final.instructions.length - 1);
    });

    it("uses the Lambda runtime's Node major version, for both runtimes to run the same code the same way", () => {
        const major = /nodejs(\d+)\.x/.exec(LAMBDA_RUNTIME)![1];
        for (const s of all) expect(s.from, s.name ?? "final").to.match(new RegExp(`^node:${major}-bookworm-slim$`));
        expect(stage("bundle").instructions.join("\n")).to.include(`--target=node${major}`);
    });

    it("the context's ignore file lets through every path the Dockerfile copies, and not node_modules", () => {
        const ignore = fs
            .readFileSync(`${DOCKERFILE}.dockerignore`, "utf8")
            .split("\n")
            .filter((l) => l.trim() && !l.startsWith("#"));
        expect(ignore[0]).to.equal("*");
        const allowed = ignore.slice(1).map((l) => l.replace(/^!/, ""));
        const sources = all
            .flatMap((s) => s.instructions)
            .filter((i) => i.startsWith("COPY ") && !i.includes("--from="))
            .flatMap((i) => i.split(/\s+/).slice(1, -1));
        for (const source of sources) {
            expect(
                allowed.some((a) => source === a || (a.endsWith("/") && source.startsWith(a))),
                source,
            ).to.equal(true);
            expect(fs.existsSync(path.join(PROJECT_DIR, source)), source).to.equal(true);
        }
        expect(allowed.some((a) => a.includes("node_modules"))).to.equal(false);
    });

    it("its esbuild step, run here as written, bundles container.ts into a file that starts and answers the health check", async function () {
        this.timeout(60_000);
        const run = stage("bundle").instructions.find((i) => i.includes("esbuild"))!;
        const args = run.replace(/^RUN npx esbuild /, "").split(/\s+/);
        expect(args[0]).to.equal("functions/resize/container.ts");
        expect(args).to.include("--external:sharp");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "resizer-bundle-"));
        try {
            const outfile = path.join(dir, "index.js");
            const esbuild = require.resolve("esbuild/bin/esbuild");
            execFileSync(
                esbuild,
                args.map((a) => (a.startsWith("--outfile=") ? `--outfile=${outfile}` : a)),
                {
                    cwd: PROJECT_DIR,
                    stdio: "pipe",
                },
            );
            // Beside the bundle, node_modules with sharp only (as in the image): here the host's own sharp.
            fs.mkdirSync(path.join(dir, "node_modules"));
            for (const pkg of ["sharp", "@img", "detect-libc", "semver"]) {
                fs.symlinkSync(path.join(PROJECT_DIR, "node_modules", pkg), path.join(dir, "node_modules", pkg));
            }
            const child = spawn(process.execPath, [outfile], {
                cwd: dir,
                env: {
                    PATH: process.env.PATH,
                    ...encodeResizeContainerSettings(
                        {
                            bucket: "b",
                            uploadPrefix: "uploads/",
                            allowedResolutions: ["300x300"],
                            maxDimension: 2048,
                            fit: "cover",
                            gravity: "centre",
                            quality: 80,
                            limitInputPixels: 1000,
                            metricsNamespace: "image-pipeline/test",
                        },
                        0,
                    ),
                    AWS_REGION: "us-east-1",
                },
                stdio: ["ignore", "pipe", "pipe"],
            });
            let output = "";
            child.stdout.on("data", (c: Buffer) => (output += c.toString()));
            child.stderr.on("data", (c: Buffer) => (output += c.toString()));
            const exit = new Promise<number | null>((resolve) => child.on("exit", resolve));
            try {
                const port = await new Promise<number>((resolve, reject) => {
                    const check = () => {
                        const listening = listeningPort(output);
                        if (listening !== undefined) return resolve(listening);
                        if (child.exitCode !== null) return reject(new Error(output));
                        setTimeout(check, 50);
                    };
                    check();
                });
                const status = await new Promise<number>((resolve, reject) =>
                    http
                        .get({ host: "127.0.0.1", port, path: HEALTH_PATH, agent: false }, (res) => {
                            res.resume();
                            resolve(res.statusCode!);
                        })
                        .on("error", reject),
                );
                expect(status).to.equal(200);
            } finally {
                child.kill("SIGTERM");
                expect(await exit).to.equal(0);
            }
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
