// A secret local mode keeps in its data folder (issuer key, grant key, URL signing key): made on first use, then
// read back on every start, readable by this user only, and gone with `npm start -- --reset`.
import * as fs from "fs";
import * as path from "path";

/** The file's bytes; made with `make` first when missing, readable and writable by this user only. */
export function keptSecret(file: string, make: () => Buffer): Buffer {
    if (!fs.existsSync(file)) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        const temporary = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(temporary, make(), { mode: 0o600 });
        fs.renameSync(temporary, file); // whole or absent, never half-written
    }
    return fs.readFileSync(file);
}
