// What the upload page shows of a ready upload (a classic script, loaded before web/app.js, which calls
// showChecked and showGallery): its status's placeholder and size at once, then the original and every variant its
// status names, fetched from the CDN as an <img> on a real page would get them.
"use strict";

/** The `thumbhash` package's decoder, served by the local server from node_modules (the page has no bundler). */
let thumbHash;
function loadThumbHash() {
  thumbHash ??= import("/vendor/thumbhash.js");
  return thumbHash;
}

/**
 * What the status of a ready upload says, shown before any image is fetched: the ThumbHash placeholder (a tiny
 * PNG data URL drawn from the status's base64 hash) and the real dimensions, format and size.
 */
// biome-ignore lint/correctness/noUnusedVariables: web/app.js calls it (the page's scripts share one global scope)
async function showChecked(item, checked) {
  const box = element("div", { class: "checked" });
  const dimensions = element(
    "span",
    { class: "dimensions" },
    `Ready: ${checked.width}×${checked.height} ${checked.format}, ${formatBytes(checked.bytes)}`,
  );
  box.append(dimensions);
  item.append(box);
  if (!checked.placeholder) return;
  try {
    const { thumbHashToDataURL } = await loadThumbHash();
    const hash = Uint8Array.from(atob(checked.placeholder), (c) => c.charCodeAt(0));
    const placeholder = element("img", { class: "placeholder", alt: "", "aria-hidden": "true" });
    placeholder.src = thumbHashToDataURL(hash);
    // Shown at the image's real aspect ratio, the size a thumbnail takes.
    placeholder.style.aspectRatio = `${checked.width} / ${checked.height}`;
    box.prepend(placeholder);
  } catch {
    /* no placeholder: the images still load */
  }
}

/**
 * The original and the variants a ready status names, each labelled by its size: every allowed size's
 * (`variants`) and, when any size is allowed (no list), those made at upload (`storedVariants`, whose format keys
 * "<W>x<H>/<format>/..." are left out: the CDN picks the format at the plain key). Keys come from the server only.
 */
function variantsOf(checked) {
  const plain = (variant) => variant.slice(variant.indexOf("/") + 1) === checked.key;
  const keys = new Set([...checked.variants, ...(checked.storedVariants ?? []).filter(plain)]);
  return [["original", checked.key], ...[...keys].map((variant) => [variant.slice(0, variant.indexOf("/")), variant])];
}

/** 1×1 images: whether this browser decodes AVIF and WebP, which its <img> requests then name in Accept. */
const PROBES = {
  avif: "data:image/avif;base64,AAAAHGZ0eXBhdmlmAAAAAG1pZjFhdmlmbWlhZgAAANZtZXRhAAAAAAAAACFoZGxyAAAAAAAAAABwaWN0AAAAAAAAAAAAAAAAAAAAACJpbG9jAAAAAERAAAEAAQAAAAAA+gABAAAAAAAAABwAAAAjaWluZgAAAAAAAQAAABVpbmZlAgAAAAABAABhdjAxAAAAAA5waXRtAAAAAAABAAAAVmlwcnAAAAA4aXBjbwAAAAxhdjFDgSACAAAAABRpc3BlAAAAAAAAAAEAAAABAAAAEHBpeGkAAAAAAwgICAAAABZpcG1hAAAAAAAAAAEAAQOBAgMAAAAkbWRhdBIACgc4AAaQENBpMg8ZQmMEw88880EgAJBAzeg=",
  webp: "data:image/webp;base64,UklGRh4AAABXRUJQVlA4TBEAAAAvAAAAAAdQwAIWsP+BiOh/AAA=",
};
let imageAccept;

/**
 * The Accept header this browser's <img> requests carry (fetch() sends "*\/*", which the CDN answers with the
 * original's format): the formats it decodes, then any image. The gallery asks with it, so it shows the format and
 * bytes an <img> on a real page gets.
 */
function imageAcceptHeader() {
  imageAccept ??= Promise.all(
    Object.entries(PROBES).map(([format, url]) => {
      const probe = new Image();
      probe.src = url;
      return probe.decode().then(
        () => `image/${format}`,
        () => null,
      );
    }),
  ).then((decoded) => [...decoded.filter(Boolean), "image/*", "*/*;q=0.8"].join(","));
  return imageAccept;
}

/** "AVIF" for image/avif: the format the CDN chose, as its Content-Type says. */
function formatName(contentType) {
  return (contentType ?? "?")
    .replace(/^image\//, "")
    .split(";")[0]
    .toUpperCase();
}

/**
 * Where the CDN serves a key: its plain URL, or on a private stack (privateDelivery) a signed URL the API gives for
 * the upload's id and the variant's size (GET /uploads/<id>/url?size=<W>x<H>; functions/shared/signedImageUrl.ts).
 */
async function imageUrl(checked, label, path) {
  if (!state.config.privateDelivery) return `${state.config.cdnBase}/${path}`;
  const id = checked.key
    .split("/")
    .pop()
    .replace(/\.[^.]*$/, "");
  const size = label === "original" ? "" : `?size=${encodeURIComponent(label)}`;
  const response = await fetch(`${state.config.apiBase}/uploads/${encodeURIComponent(id)}/url${size}`, {
    headers: await authHeaders(),
  });
  if (!response.ok) throw new Error(`no signed URL (${response.status})`);
  return (await response.json()).url;
}

/**
 * Fetches the original and every variant from the CDN and shows each with its format and bytes; resolves to
 * `{ label, reason }` for each that failed (a variant the Resizer refuses answers JSON with its reason, e.g. 422
 * for a file that is no image).
 */
// biome-ignore lint/correctness/noUnusedVariables: web/app.js calls it (the page's scripts share one global scope)
async function showGallery(item, checked) {
  const gallery = element("div", { class: "gallery" });
  item.append(gallery);
  const outcomes = variantsOf(checked).map(async ([label, path]) => {
    const figure = element("figure");
    const image = element("img", { alt: `${label} of ${checked.key}`, "data-variant": label });
    const caption = element("figcaption", {}, `${label}: loading…`);
    figure.append(image, caption);
    gallery.append(figure);
    const fail = (reason) => {
      caption.textContent = `${label}: ${reason}`;
      caption.classList.add("error");
      figure.classList.add("failed");
      return { label, reason };
    };
    try {
      const response = await fetch(await imageUrl(checked, label, path), {
        headers: { accept: await imageAcceptHeader() },
      });
      if (!response.ok)
        return fail(serverReason(response.status, response.headers.get("content-type"), await response.text()));
      const blob = await response.blob();
      image.src = URL.createObjectURL(blob);
      const shown = await new Promise((resolve) => {
        image.addEventListener("load", () => resolve(true), { once: true });
        image.addEventListener("error", () => resolve(false), { once: true });
      });
      if (!shown) return fail("the browser cannot display it as an image");
      const format = formatName(response.headers.get("content-type"));
      image.dataset.format = format;
      caption.textContent = `${label}: ${image.naturalWidth}×${image.naturalHeight}, ${format}, ${formatBytes(blob.size)}`;
      return null;
    } catch {
      return fail("network error while loading it");
    }
  });
  return (await Promise.all(outcomes)).filter(Boolean);
}
