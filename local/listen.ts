// Listening on a loopback port, with a busy port as an error the caller can name (not an 'error' event nobody
// listens to, which ends the process with a stack trace).
import * as net from "net";

export class PortInUseError extends Error {
    constructor(readonly port: number) {
        super(`Port ${port} is already in use`);
        this.name = "PortInUseError";
    }
}

export function listenOnLoopback(server: net.Server, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
        const failed = (error: NodeJS.ErrnoException) =>
            reject(error.code === "EADDRINUSE" ? new PortInUseError(port) : error);
        server.once("error", failed);
        server.listen(port, "127.0.0.1", () => {
            server.removeListener("error", failed);
            resolve();
        });
    });
}
