// The Uppy example page (web/uppy.html): Uppy's Dashboard and S3 plugin, pointed at this API's Companion-style /s3
// routes (functions/presign/companionRoutes.ts). Local mode bundles it from the npm packages with esbuild
// (local/uppyBundle.ts). The API chooses keys and enforces the limits; the page only mirrors them.
import AwsS3 from "@uppy/aws-s3";
import Uppy from "@uppy/core";
import Dashboard from "@uppy/dashboard";
import "@uppy/core/css/style.min.css";
import "@uppy/dashboard/css/style.min.css";

const MiB = 1024 * 1024;

fetch("/config.json")
  .then((response) => response.json())
  .then((config) => {
    const uppy = new Uppy({
      autoProceed: true,
      restrictions: { allowedFileTypes: config.allowedContentTypes, maxFileSize: config.maxUploadBytes },
      // The declared total: the API refuses a multipart upload over maxUploadBytes before any part is sent.
      onBeforeFileAdded: (file) => ({ ...file, meta: { ...file.meta, size: file.size } }),
    })
      .use(Dashboard, { inline: true, target: "#uppy", proudlyDisplayPoweredByUppy: false, height: 360 })
      .use(AwsS3, {
        companionEndpoint: `${location.origin}${config.apiBase}`,
        // Uppy's default is multipart above 100 MiB; parts are at least 5 MiB (S3's minimum) either way.
        shouldUseMultipart: (file) => file.size > 5 * MiB,
      });
    const list = document.getElementById("uploads");
    const item = (file, fields) => {
      const li = document.createElement("li");
      li.textContent = file.name;
      for (const [name, value] of Object.entries(fields)) li.dataset[name] = value;
      list.append(li);
    };
    uppy.on("upload-success", (file, response) => item(file, { key: response.body.key }));
    uppy.on("upload-error", (file, error) => item(file, { error: String(error?.message ?? error) }));
    // For the browser spec and the console: the Dashboard's retry button calls the same.
    window.uppy = uppy;
    document.body.dataset.ready = "true";
  });
