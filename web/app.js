// The upload page: checks each file against the stack's limits, asks the API to sign, uploads straight to S3
// with progress, waits for the server's check, shows the image's ThumbHash placeholder and real size from its
// status at once, then the original and every variant its status names as the CDN serves them (web/gallery.js).
"use strict";

const state = { config: null };
const $ = (selector) => document.querySelector(selector);

function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function element(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

/**
 * The server's own reason for a refusal, as plain text (shown with textContent only): the API's and the
 * Resizer's JSON `{ error: { code, message } }`, or S3's XML `<Error><Code>…</Code><Message>…</Message>`.
 */
function serverReason(status, contentType, text) {
  if (/json/.test(contentType ?? "")) {
    try {
      const { error } = JSON.parse(text);
      if (error?.message) return error.code ? `${error.message} (${error.code})` : String(error.message);
    } catch {
      /* not the JSON it claims to be: fall through */
    }
  }
  if (/xml/.test(contentType ?? "") || /^\s*<\?xml|^\s*<Error>/.test(text)) {
    const xml = new DOMParser().parseFromString(text, "application/xml");
    const code = xml.querySelector("Error > Code")?.textContent;
    const message = xml.querySelector("Error > Message")?.textContent;
    if (code || message) return [code, message].filter(Boolean).join(": ");
  }
  return `HTTP ${status}`;
}

/** Says a file's final outcome once to screen readers (the list itself is not a live region). */
function announce(text) {
  $("#outcome").textContent = text;
}

/** Why a file cannot be uploaded, in plain words; null when it can. */
function refusal(file) {
  const { allowedContentTypes, maxUploadBytes } = state.config;
  if (!allowedContentTypes.includes(file.type)) {
    return `Wrong type: ${file.type || "unknown"} is not one of ${allowedContentTypes.map((t) => t.replace("image/", "")).join(", ")}.`;
  }
  if (file.size > maxUploadBytes)
    return `Too big: ${formatBytes(file.size)} is over the ${formatBytes(maxUploadBytes)} limit.`;
  if (file.size === 0) return "The file is empty.";
  return null;
}

/** With jwtIssuer the upload routes want a JWT: here local mode's (/local/token, local only); your app has its own. */
async function authHeaders() {
  if (!state.config.tokenUrl) return {};
  state.token ??= fetch(`${state.config.tokenUrl}?sub=local-user`)
    .then((response) => response.json())
    .then((body) => body.token);
  return { authorization: `Bearer ${await state.token}` };
}

/** Asks the API to sign; the declared size is signed into a PUT (S3 then takes exactly that many bytes). */
async function sign(route, contentType, size) {
  const response = await fetch(`${state.config.apiBase}${route}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(await authHeaders()) },
    body: JSON.stringify({ contentType, size }),
  });
  const text = await response.text();
  if (!response.ok)
    throw new Error(`The server said no: ${serverReason(response.status, response.headers.get("content-type"), text)}`);
  return JSON.parse(text);
}

/** Sends with XMLHttpRequest, the browser API that reports upload progress. */
function send(method, url, body, headers, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open(method, url);
    // Browsers send the body's real Content-Length themselves and refuse to have it set (a forbidden header).
    for (const [name, value] of Object.entries(headers)) {
      if (name.toLowerCase() !== "content-length") request.setRequestHeader(name, value);
    }
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    request.addEventListener("load", () => {
      if (request.status >= 200 && request.status < 300) return resolve();
      const reason = serverReason(request.status, request.getResponseHeader("content-type"), request.responseText);
      reject(new Error(`Storage refused the upload: ${reason}`));
    });
    request.addEventListener("error", () => reject(new Error("Network error while uploading.")));
    request.send(body);
  });
}

async function upload(file, method, item) {
  const progress = item.querySelector("progress");
  const status = item.querySelector(".status");
  const onProgress = (fraction) => {
    progress.value = Math.round(fraction * 100);
    status.textContent = `Uploading… ${progress.value} %`;
  };
  if (method === "post") {
    const signed = await sign("/uploads/form", file.type, file.size);
    const form = new FormData();
    for (const [name, value] of Object.entries(signed.fields)) form.append(name, value);
    form.append("file", file);
    await send("POST", signed.uploadUrl, form, {}, onProgress);
    return signed;
  }
  const signed = await sign("/uploads", file.type, file.size);
  await send("PUT", signed.uploadUrl, file, signed.headers, onProgress);
  return signed;
}

/** Every upload is checked by the server before it is served: wait for its status to be final (ready, rejected,
 *  or failed: it could not be processed). */
const STATUS_POLL_MS = 500;
const STATUS_POLL_LIMIT = 240; // two minutes

async function awaitChecked(statusUrl, status) {
  for (let attempt = 0; attempt < STATUS_POLL_LIMIT; attempt++) {
    const response = await fetch(statusUrl, { cache: "no-store", headers: await authHeaders() });
    // 404: the check has not started yet (the upload's event is on its way).
    if (response.ok) {
      const answer = await response.json();
      if (answer.status === "ready" || answer.status === "rejected" || answer.status === "failed") return answer;
      status.textContent = "Checking the upload…";
    } else if (response.status !== 404) {
      throw new Error(
        `The status check failed: ${serverReason(response.status, response.headers.get("content-type"), await response.text())}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, STATUS_POLL_MS));
  }
  throw new Error("The upload was not checked in time; try again later.");
}

async function handle(file) {
  const method = document.querySelector('input[name="method"]:checked').value;
  const item = element("li", { class: "upload" });
  item.append(
    element("div", { class: "name" }, file.name),
    element("progress", { max: "100", value: "0" }),
    element("div", { class: "status" }),
  );
  $("#uploads").prepend(item);
  const status = item.querySelector(".status");
  const problem = refusal(file);
  const failed = (reason) => {
    status.textContent = reason;
    status.classList.add("error");
    item.dataset.outcome = "failed";
    announce(`${file.name}: failed. ${reason}`);
  };
  if (problem) {
    item.querySelector("progress").remove();
    failed(problem);
    return;
  }
  let key;
  let checked;
  try {
    const signed = await upload(file, method, item);
    key = signed.key;
    item.querySelector("progress").value = 100;
    status.textContent = "Checking the upload…";
    checked = await awaitChecked(signed.statusUrl, status);
    if (checked.status === "rejected") {
      failed(`Rejected: ${checked.error?.message ?? "the server refused the file"}`);
      return;
    }
    if (checked.status === "failed") {
      const { message = "the server could not process it", code } = checked.error ?? {};
      failed(`Failed: ${message}${code ? ` (${code})` : ""}`);
      return;
    }
    await showChecked(item, checked);
  } catch (error) {
    failed(error.message);
    return;
  }
  status.textContent = `Uploaded (${method.toUpperCase()}) as ${key}: 100 %`;
  item.dataset.key = key;
  const problems = await showGallery(item, checked);
  if (problems.length > 0) {
    // The server's reason for a variant says more than the browser's for the original.
    const { reason } = problems.find((problem) => problem.label !== "original") ?? problems[0];
    failed(`Failed: uploaded, but the image cannot be used: ${reason}`);
    return;
  }
  item.dataset.outcome = "done";
  announce(`${file.name}: uploaded; the original and ${variantsOf(checked).length - 1} variants are ready.`);
}

function handleAll(files) {
  for (const file of files) {
    handle(file).catch((error) => {
      announce(`${file.name}: failed. ${error.message}`);
    });
  }
}

async function init() {
  state.config = await (await fetch("/config.json")).json();
  const sizes = state.config.allowedResolutions.join(", ") || `any up to ${state.config.maxResizeDimension}px`;
  $("#limits").textContent =
    `Up to ${formatBytes(state.config.maxUploadBytes)} per image; ` +
    `${state.config.allowedContentTypes.map((t) => t.replace("image/", "")).join(", ")}; variants: ${sizes}.`;
  $("#file-input").accept = state.config.allowedContentTypes.join(",");
  $("#file-input").addEventListener("change", (event) => {
    handleAll(event.target.files);
    event.target.value = "";
  });
  const zone = $("#drop-zone");
  // The button (and, for the mouse, the whole zone) opens the hidden file input's picker.
  zone.addEventListener("click", () => $("#file-input").click());
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("dragging");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("dragging");
    handleAll(event.dataTransfer.files);
  });
  document.body.dataset.ready = "true";
}

init().catch((error) => {
  $("#limits").textContent = `Could not load the configuration: ${error.message}`;
});
