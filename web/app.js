// The upload page: checks each file against the stack's limits, asks the API to sign, uploads straight to S3
// with progress, then shows the original and every allowed variant as the CDN serves them.
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

/** Why a file cannot be uploaded, in plain words; null when it can. */
function refusal(file) {
  const { allowedContentTypes, maxUploadBytes } = state.config;
  if (!allowedContentTypes.includes(file.type)) {
    return `Wrong type: ${file.type || "unknown"} is not one of ${allowedContentTypes.map((t) => t.replace("image/", "")).join(", ")}.`;
  }
  if (file.size > maxUploadBytes) return `Too big: ${formatBytes(file.size)} is over the ${formatBytes(maxUploadBytes)} limit.`;
  if (file.size === 0) return "The file is empty.";
  return null;
}

/** Asks the API to sign; the declared size is signed into a PUT (S3 then takes exactly that many bytes). */
async function sign(route, contentType, size) {
  const response = await fetch(`${state.config.apiBase}${route}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ contentType, size }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(`The server said no: ${body.error?.message ?? response.statusText}`);
  return body;
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
      const code = /<Code>([^<]*)<\/Code>/.exec(request.responseText)?.[1];
      const reason = code === "EntityTooLarge" ? "too big for the size cap"
        : code === "PreconditionFailed" ? "that key already exists" : code ?? `HTTP ${request.status}`;
      reject(new Error(`Storage refused the upload: ${reason}.`));
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

function variantsOf(key) {
  const sizes = state.config.allowedResolutions.length > 0 ? state.config.allowedResolutions : ["300x300"];
  return [["original", key], ...sizes.map((size) => [size, `${size}/${key}`])];
}

function showGallery(item, key) {
  const gallery = element("div", { class: "gallery" });
  for (const [label, path] of variantsOf(key)) {
    const figure = element("figure");
    const image = element("img", { alt: `${label} of ${key}`, "data-variant": label });
    const caption = element("figcaption", {}, `${label}: loading…`);
    image.addEventListener("load", async () => {
      const head = await fetch(image.src, { method: "HEAD" }).catch(() => null);
      const bytes = Number(head?.headers.get("content-length") ?? 0);
      caption.textContent = `${label}: ${image.naturalWidth}×${image.naturalHeight}, ${formatBytes(bytes)}`;
    });
    image.addEventListener("error", () => { caption.textContent = `${label}: could not be loaded`; caption.classList.add("error"); });
    image.src = `${state.config.cdnBase}/${path}`;
    figure.append(image, caption);
    gallery.append(figure);
  }
  item.append(gallery);
}

async function handle(file) {
  const method = document.querySelector('input[name="method"]:checked').value;
  const item = element("li", { class: "upload" });
  item.append(element("div", { class: "name" }, file.name), element("progress", { max: "100", value: "0" }), element("div", { class: "status" }));
  $("#uploads").prepend(item);
  const status = item.querySelector(".status");
  const problem = refusal(file);
  if (problem) {
    status.textContent = problem;
    status.classList.add("error");
    item.querySelector("progress").remove();
    return;
  }
  try {
    const { key } = await upload(file, method, item);
    item.querySelector("progress").value = 100;
    status.textContent = `Uploaded (${method.toUpperCase()}) as ${key}: 100 %`;
    item.dataset.key = key;
    showGallery(item, key);
  } catch (error) {
    status.textContent = error.message;
    status.classList.add("error");
  }
}

function handleAll(files) {
  for (const file of files) handle(file);
}

async function init() {
  state.config = await (await fetch("/config.json")).json();
  const sizes = state.config.allowedResolutions.join(", ") || `any up to ${state.config.maxResizeDimension}px`;
  $("#limits").textContent = `Up to ${formatBytes(state.config.maxUploadBytes)} per image; `
    + `${state.config.allowedContentTypes.map((t) => t.replace("image/", "")).join(", ")}; variants: ${sizes}.`;
  $("#file-input").accept = state.config.allowedContentTypes.join(",");
  $("#file-input").addEventListener("change", (event) => { handleAll(event.target.files); event.target.value = ""; });
  const zone = $("#drop-zone");
  zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("dragging"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", (event) => { event.preventDefault(); zone.classList.remove("dragging"); handleAll(event.dataTransfer.files); });
  document.body.dataset.ready = "true";
}

init().catch((error) => { $("#limits").textContent = `Could not load the configuration: ${error.message}`; });
