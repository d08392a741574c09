// Hostile requests and faults against the real `npm start` process (ts-node -T local/start.ts): each answer is a
// clean 4xx/5xx, and afterwards the same process is alive and still serves. One process for all of them.
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { awaitChecked } from "../support/localPipeline";
import { jpegBytes } from "../support/images";
import { LocalProcess, runLocalProcessToExit, startLocalProcess } from "../support/localProcess";
import { DataDirLockedError, lockDataDir } from "../../local/dataDirLock";
import { LOCAL_BUCKET } from "../../local/server";

/** A GET with the path sent verbatim: fetch would resolve dot segments and reject some bytes before sending. */
function rawGet(
    base: string,
    rawPath: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
    const { hostname, port } = new URL(base);
    return new Promise((resolve, reject) => {
        http.get({ hostname, port, path: rawPath }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (chunk: Buffer) => chunks.push(chunk));
            res.on("end", () =>
                resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }),
            );
        }).on("error", reject);
    });
}

describe("hostile input and faults against the running local server (local/start.ts)", function () {
    this.timeout(120_000);
    let server: LocalProcess;
    let photo: Buffer;

    const upload = async () => {
        const signed = (await (
            await fetch(`${server.url}/api/uploads`, {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: JSON.stringify({ contentType: "image/jpeg" }),
            })
        ).json()) as { key: string; statusUrl: string; uploadUrl: string; headers: Record<string, string> };
        const put = await fetch(signed.uploadUrl, { method: "PUT", headers: signed.headers, body: photo });
        // The original is served once the ingest function has checked it.
        if (put.status === 200) expect((await awaitChecked(signed.statusUrl)).status).to.equal("ready");
        return { key: signed.key, status: put.status };
    };
    const expectServing = async () => {
        expect(server.alive(), server.output()).to.equal(true);
        const page = await fetch(`${server.url}/`);
        expect(page.status).to.equal(200);
    };

    before(async () => {
        photo = await jpegBytes(800, 600);
        server = await startLocalProcess();
    });
    after(() => server?.stop());

    it("answers /api/resize?key=… with a NUL byte 400 JSON, again and again, and keeps running", async () => {
        for (let i = 0; i < 5; i++) {
            const response = await rawGet(server.url, "/api/resize?key=640x480/uploads/x%00.jpg");
            expect(response.status).to.equal(400);
            expect(JSON.parse(response.body).error.code).to.equal("invalid_key");
        }
        await expectServing();
    });

    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html: keys are at most 1,024 bytes of UTF-8
    for (const [name, rawPath, status] of [
        ["a NUL byte", "/cdn/uploads/x%00.jpg", 400],
        ["a NUL byte in a variant", "/cdn/640x480/uploads/x%00.jpg", 400],
        ["5000 characters", `/cdn/uploads/${"a".repeat(4996)}.jpg`, 414],
        ["5000 characters in a variant", `/cdn/640x480/uploads/${"a".repeat(4996)}.jpg`, 414],
        ["//", "/cdn/uploads//x.jpg", 400],
        ["a 300-character file name", `/cdn/uploads/${"a".repeat(296)}.jpg`, 400],
        ["a 300-character file name in a variant", `/cdn/640x480/uploads/${"a".repeat(296)}.jpg`, 400],
        ["a .. segment", "/cdn/640x480/uploads/../uploads/x.jpg", 400],
        ["an encoded .. segment", "/cdn/uploads/%2e%2e/x.jpg", 400],
    ] as const) {
        it(`answers a CDN key with ${name} ${status} JSON and keeps running`, async () => {
            const response = await rawGet(server.url, rawPath);
            expect(response.status).to.equal(status);
            expect(response.headers["content-type"]).to.match(/^application\/json/);
            expect(response.headers["x-content-type-options"]).to.equal("nosniff");
            await expectServing();
        });
    }

    it("answers /api/resize?key=… of 300 or 5000 characters 400 / 414 JSON", async () => {
        const long = await rawGet(server.url, `/api/resize?key=640x480/uploads/${"a".repeat(296)}.jpg`);
        expect(long.status).to.equal(400);
        const tooLong = await rawGet(server.url, `/api/resize?key=640x480/uploads/${"a".repeat(4996)}.jpg`);
        expect(tooLong.status).to.equal(414);
        expect(JSON.parse(tooLong.body).error.code).to.equal("key_too_long");
        await expectServing();
    });

    it("refuses GET /cdn/ with 403 and no bucket listing", async () => {
        const { key, status } = await upload();
        expect(status).to.equal(200);
        const response = await rawGet(server.url, "/cdn/");
        expect(response.status).to.equal(403);
        expect(response.body).not.to.include(key.split("/")[1]);
        expect(response.body).not.to.include("ListBucketResult");
    });

    it("still uploads, serves and resizes after all of the above", async () => {
        const { key, status } = await upload();
        expect(status).to.equal(200);
        expect((await fetch(`${server.url}/cdn/${key}`)).status).to.equal(200);
        expect((await fetch(`${server.url}/cdn/300x300/${key}`)).status).to.equal(200);
    });

    it("refuses a second start on the same data folder, naming the process that holds it, and leaves the first intact", async () => {
        const second = await runLocalProcessToExit(["--data-dir", server.dataDir, "--reset"]);
        expect(second.code).to.not.equal(0);
        expect(second.output).to.include(`in use by process ${server.pid}`);
        expect(fs.existsSync(path.join(server.dataDir, LOCAL_BUCKET))).to.equal(true); // --reset wiped nothing
        await expectServing();
    });

    for (const variable of ["PORT", "S3_PORT"] as const) {
        it(`says in one line which port is busy and that ${variable} changes it`, async () => {
            const busy = new URL(variable === "PORT" ? server.url : server.s3Url).port;
            const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "image-pipeline-busy-"));
            try {
                const run = await runLocalProcessToExit(["--data-dir", dataDir], { [variable]: busy });
                expect(run.code).to.equal(1);
                const lines = run.output
                    .split("\n")
                    .filter(
                        (line) =>
                            line.trim() !== "" &&
                            !/NodeVersionSupportWarning|node >=22|upgrade to node|a\.co\/|trace-warnings|^versions published|^will require|^To continue|^and security|^More information/.test(
                                line,
                            ),
                    );
                expect(lines).to.deep.equal([
                    `Port ${busy} is already in use; set ${variable} to another port (${variable}=0 picks a free one).`,
                ]);
            } finally {
                fs.rmSync(dataDir, { recursive: true, force: true });
            }
        });
    }

    it("answers uploads and resizes 5xx while the data folder is read-only, logs the cause, and keeps serving reads", async function () {
        const { key } = await upload();
        const bucketDir = path.join(server.dataDir, LOCAL_BUCKET);
        // Tests run as root, which ignores permission bits: the immutable attribute refuses root's writes too.
        try {
            execFileSync("chattr", ["-R", "+i", bucketDir], { stdio: "ignore" });
        } catch {
            this.skip(); // no chattr, or a file system without the immutable attribute: this fault cannot be made here
        }
        try {
            const failed = await upload();
            expect(failed.status).to.be.within(500, 599);
            const variant = await fetch(`${server.url}/cdn/640x480/${key}`);
            expect(variant.status).to.equal(500);
            expect(variant.headers.get("content-type")).to.match(/^application\/json/);
            expect(((await variant.json()) as { error: { code: string } }).error.code).to.equal("internal_error");
            const original = await fetch(`${server.url}/cdn/${key}`);
            expect(original.status).to.equal(200);
            expect(Buffer.from(await original.arrayBuffer()).equals(photo)).to.equal(true);
            await expectServing();
            expect(server.output()).to.match(/local S3 could not write an object.*EPERM/);
        } finally {
            execFileSync("chattr", ["-R", "-i", bucketDir], { stdio: "ignore" });
        }
        const { status } = await upload();
        expect(status).to.equal(200); // writable again: uploads work again in the same process
    });

    it("answers a resize 500 JSON when the data folder is full, leaves no partial variant, and keeps serving", async function () {
        const { key } = await upload();
        const variantDir = path.join(server.dataDir, LOCAL_BUCKET, "1280x720");
        fs.mkdirSync(variantDir, { recursive: true });
        // A one-page tmpfs where the variants go: the write runs out of space (ENOSPC) part-way.
        try {
            execFileSync("mount", ["-t", "tmpfs", "-o", "size=4k", "tmpfs", variantDir], { stdio: "ignore" });
        } catch {
            this.skip(); // mounting needs privileges this machine may not grant: this fault cannot be made here
        }
        try {
            const variant = await fetch(`${server.url}/cdn/1280x720/${key}`);
            expect(variant.status).to.equal(500);
            expect(((await variant.json()) as { error: { code: string } }).error.code).to.equal("internal_error");
            expect(
                fs
                    .readdirSync(variantDir, { recursive: true })
                    .filter((name) => String(name).endsWith("_S3rver_object")),
            ).to.deep.equal([]);
            expect(server.output()).to.match(/local S3 could not write an object.*ENOSPC/);
            expect((await fetch(`${server.url}/cdn/${key}`)).status).to.equal(200);
            await expectServing();
        } finally {
            execFileSync("umount", [variantDir], { stdio: "ignore" });
        }
        expect((await fetch(`${server.url}/cdn/1280x720/${key}`)).status).to.equal(200); // space again: made now
    });
});

describe("the data folder lock (local/dataDirLock.ts)", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-pipeline-lock-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("refuses a folder locked by a live process, and takes over a lock whose process is gone", () => {
        const data = path.join(dir, "dev");
        const first = lockDataDir(data);
        expect(() => lockDataDir(data, process.pid + 1)).to.throw(
            DataDirLockedError,
            `in use by process ${process.pid}`,
        );
        first.release();
        expect(fs.existsSync(`${data}.lock`)).to.equal(false);
        // A pid that cannot be alive (above Linux's pid_max limit): a stale lock.
        fs.writeFileSync(`${data}.lock`, "4194305\n");
        const second = lockDataDir(data);
        expect(fs.readFileSync(`${data}.lock`, "utf8").trim()).to.equal(String(process.pid));
        second.release();
    });
});
