// What the upload page shows of a ready upload (web/app.js calls showChecked and showGallery): its status's
// placeholder and size at once with a responsive <img srcset sizes> built from the status's variant keys (the client
// library's statusSrcSet), then the original and every variant its status names, fetched from the CDN as an <img> on
// a real page would get them.
import { imageUrl, reasonOf, signedImageUrl, statusSrcSet } from "/client/index.js";
import { element, formatBytes } from "/page.js";

/** The `thumbhash` package's decoder, served by the local server from node_modules (the page has no bundler). */
let thumbHash;
function loadThumbHash() {
  thumbHash ??= import("/vendor/thumbhash.js");
  return thumbHash;
}

/** How wide the page shows the responsive image: the viewport's width on a phone, 40rem from there on. */
const RESPONSIVE_SIZES = "(max-width: 40rem) 100vw, 40rem";

/**
 * What the status of a ready upload says, shown before any image is fetched: the ThumbHash placeholder (a tiny
 * PNG data URL drawn from the status's base64 hash), the real dimensions, format and size, and the image as a page
 * would show it: <img srcset sizes>, the browser choosing among the status's width-only variants and the original.
 */
export async function showChecked(item, checked, images) {
  const { cdnUrl } = images;
  const box = element("div", { class: "checked" });
  const dimensions = element(
    "span",
    { class: "dimensions" },
    `Ready: ${checked.width}×${checked.height} ${checked.format}, ${formatBytes(checked.bytes)}`,
  );
  // On a private stack each width would need its own signed URL (an API call each): the original's alone, no srcset.
  const responsive = element("img", {
    class: "responsive",
    alt: checked.key,
    src: images.signing ? await signedUrlOf(images, checked.key, "original") : imageUrl(checked.key, { cdnUrl }),
    ...(images.signing ? {} : { srcset: statusSrcSet(checked, { cdnUrl }), sizes: RESPONSIVE_SIZES }),
    // The real size from the status: the page keeps its room before the image arrives.
    width: String(checked.width),
    height: String(checked.height),
  });
  box.append(dimensions, responsive);
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
export function variantsOf(checked) {
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

/** The CDN's reason for a refusal as text: the Resizer's JSON "message (code)", or S3's XML "Code: Message". */
function cdnReason(status, contentType, text) {
  const { code, message } = reasonOf(contentType, text) ?? {};
  if (!message) return code ?? `HTTP ${status}`;
  if (!code) return message;
  return /json/.test(contentType ?? "") ? `${message} (${code})` : `${code}: ${message}`;
}

/** "AVIF" for image/avif: the format the CDN chose, as its Content-Type says. */
function formatName(contentType) {
  return (contentType ?? "?")
    .replace(/^image\//, "")
    .split(";")[0]
    .toUpperCase();
}

/**
 * Where the gallery fetches an image: the CDN's plain URL, or on a private stack (`images.signing`, privateDelivery)
 * a signed URL the API gives for the upload and the size (the client library's signedImageUrl).
 */
async function signedUrlOf(images, key, label) {
  const [width, height] = label === "original" ? [] : label.split("x").map((side) => Number(side) || undefined);
  return (await signedImageUrl(key, { ...images.signing, width, height })).url;
}

/**
 * Fetches the original and every variant from the CDN and shows each with its format and bytes; resolves to
 * `{ label, reason }` for each that failed (a variant the Resizer refuses answers JSON with its reason, e.g. 422
 * for a file that is no image).
 */
export async function showGallery(item, checked, images) {
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
      const url = images.signing ? await signedUrlOf(images, checked.key, label) : `${images.cdnUrl}/${path}`;
      const response = await fetch(url, {
        headers: { accept: await imageAcceptHeader() },
      });
      if (!response.ok)
        return fail(cdnReason(response.status, response.headers.get("content-type"), await response.text()));
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
