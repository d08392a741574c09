// Preloaded (node -r) into a child process: makes every package that `npm ci --omit=dev` would leave out
// unloadable, as it would be on a machine that only installed `dependencies`. Which packages those are is
// npm's own answer: package-lock.json marks them "dev": true (only devDependencies need them) or
// "devOptional": true (needed only by devDependencies or by optional peers), see
// https://docs.npmjs.com/cli/v10/configuring-npm/package-lock-json#packages
"use strict";
const Module = require("module");
const path = require("path");

const projectDir = path.resolve(__dirname, "../..");
const lock = require(path.join(projectDir, "package-lock.json"));
const omitted = new Set(
    Object.entries(lock.packages)
        .filter(([key, entry]) => key !== "" && (entry.dev || entry.devOptional))
        .map(([key]) => key),
);

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
    const file = resolve.call(this, request, parent, ...rest);
    const relative = path.relative(projectDir, file).split(path.sep).join("/");
    const packageDir = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)/.exec(relative);
    if (packageDir && omitted.has(packageDir[1])) {
        const from = parent?.filename ? path.relative(projectDir, parent.filename) : "?";
        const error = new Error(
            `Cannot find module '${request}' (omitted by npm ci --omit=dev: ${packageDir[1]} is dev-only), required from ${from}`,
        );
        error.code = "MODULE_NOT_FOUND";
        throw error;
    }
    return file;
};
