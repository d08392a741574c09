// The upload page: checks each file against the stack's limits, then uploads it with the client library's upload()
// (client/: the API signs, the bytes go straight to S3 with progress, then the server's check decides), shows the
// image's ThumbHash placeholder, real size and responsive <img srcset> from its status at once, then the original
// and every variant its status names as the CDN serves them (web/gallery.js). Local mode serves the library as
// /client/index.js (local/clientBundle.ts).
import { UploadError, upload } from "/client/index.js";
import { showChecked, showGallery, variantsOf } from "/gallery.js";
import { $, element, formatBytes } from "/page.js";

const state = { config: null };

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
/** Where the gallery gets images: the CDN, and on a private stack the API's signed URLs (with the page's JWT). */
function imageSource() {
  const { cdnBase, apiBase, privateDelivery } = state.config;
  return { cdnUrl: cdnBase, signing: privateDelivery ? { apiUrl: apiBase, headers: authHeaders } : undefined };
}

async function authHeaders() {
  if (!state.config.tokenUrl) return {};
  state.token ??= fetch(`${state.config.tokenUrl}?sub=local-user`)
    .then((response) => response.json())
    .then((body) => body.token);
  return { authorization: `Bearer ${await state.token}` };
}

/** The refusal in words: the API's "message (code)", storage's (S3's) "Code: Message", or what went wrong. */
function describe(error) {
  if (!(error instanceof UploadError)) return error.message;
  if (error.step === "sign")
    return `The server said no: ${error.code ? `${error.message} (${error.code})` : error.message}`;
  if (error.step === "store" && error.status !== 0)
    return `Storage refused the upload: ${[error.code, error.message].filter(Boolean).join(": ")}`;
  if (error.code === "status_timeout") return "The upload was not checked in time; try again later.";
  if (error.step === "status" && error.status !== 0)
    return `The status check failed: ${error.code ? `${error.message} (${error.code})` : error.message}`;
  return error.message;
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
  const progress = item.querySelector("progress");
  let checked;
  try {
    checked = await upload(file, {
      apiUrl: state.config.apiBase,
      method,
      headers: authHeaders,
      onProgress: ({ loaded, total }) => {
        progress.value = Math.round((loaded / total) * 100);
        status.textContent = loaded === total ? "Checking the upload…" : `Uploading… ${progress.value} %`;
      },
    });
    if (checked.status === "rejected") {
      failed(`Rejected: ${checked.error?.message ?? "the server refused the file"}`);
      return;
    }
    if (checked.status === "failed") {
      const { message = "the server could not process it", code } = checked.error ?? {};
      failed(`Failed: ${message}${code ? ` (${code})` : ""}`);
      return;
    }
    await showChecked(item, checked, imageSource());
  } catch (error) {
    failed(describe(error));
    return;
  }
  status.textContent = `Uploaded (${method.toUpperCase()}) as ${checked.key}: 100 %`;
  item.dataset.key = checked.key;
  const problems = await showGallery(item, checked, imageSource());
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
