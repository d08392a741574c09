// The Uppy example page (web/uppy.html): Uppy's Dashboard and S3 plugin, pointed at this API's Companion-style /s3
// routes (functions/presign/companionRoutes.ts). Local mode bundles it from the npm packages with esbuild
// (local/uppyBundle.ts). The API chooses keys and enforces the limits; the page only mirrors them.
import AwsS3 from "@uppy/aws-s3";
import Uppy from "@uppy/core";
import Dashboard from "@uppy/dashboard";
import "@uppy/core/css/style.min.css";
import "@uppy/dashboard/css/style.min.css";

const MiB = 1024 * 1024;
// Uppy's default is multipart above 100 MiB; parts are at least 5 MiB (S3's minimum) either way.
const shouldUseMultipart = (file) => file.size > 5 * MiB;

/**
 * With a JWT authorizer (jwtIssuer): Uppy 6 sends no Authorization header to its companionEndpoint, so the page
 * trades its JWT for an upload grant (POST /uploads/grant) and gives Uppy the endpoint that carries it. Here the
 * JWT comes from local mode's issuer (/local/token, local only; ?sub= picks the user); your app has its own.
 */
async function newGrant(config) {
  const sub = new URLSearchParams(location.search).get("sub") ?? "local-user";
  const { token } = await (await fetch(`${config.tokenUrl}?${new URLSearchParams({ sub })}`)).json();
  const response = await fetch(`${config.apiBase}/uploads/grant`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
  });
  if (!response.ok) throw new Error(`no upload grant: ${response.status} ${await response.text()}`);
  const grant = await response.json();
  return { ...grant, refreshAt: Date.now() + (grant.expiresIn * 1000) / 2 };
}

function useEndpoint(uppy, companionEndpoint) {
  const current = uppy.getPlugin("AwsS3");
  if (current) uppy.removePlugin(current);
  uppy.use(AwsS3, { companionEndpoint, shouldUseMultipart });
}

fetch("/config.json")
  .then((response) => response.json())
  .then(async (config) => {
    const uppy = new Uppy({
      autoProceed: true,
      restrictions: { allowedFileTypes: config.allowedContentTypes, maxFileSize: config.maxUploadBytes },
      // The declared total: the API refuses a multipart upload over maxUploadBytes before any part is sent.
      onBeforeFileAdded: (file) => ({ ...file, meta: { ...file.meta, size: file.size } }),
    }).use(Dashboard, { inline: true, target: "#uppy", proudlyDisplayPoweredByUppy: false, height: 360 });
    if (config.tokenUrl) {
      // A grant lasts uploadExpiresIn seconds: once half spent, the page takes a new one while no upload runs. An
      // upload the old one ran out under fails; the Dashboard's retry then resumes it with the new one.
      let grant = await newGrant(config);
      useEndpoint(uppy, grant.companionEndpoint);
      setInterval(() => {
        if (Date.now() < grant.refreshAt || Object.keys(uppy.getState().currentUploads).length > 0) return;
        newGrant(config).then(
          (fresh) => {
            grant = fresh;
            useEndpoint(uppy, grant.companionEndpoint);
          },
          (error) => console.warn(error), // the current grant stays; the next tick tries again
        );
      }, 5000);
    } else {
      useEndpoint(uppy, `${location.origin}${config.apiBase}`);
    }
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
