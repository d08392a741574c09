// The image formats the pipeline accepts, signs and resizes, and the key extension each one gets.

export const IMAGE_EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
    "image/avif": "avif",
} as const;

export type ImageContentType = keyof typeof IMAGE_EXTENSIONS;
export const IMAGE_CONTENT_TYPES = Object.keys(IMAGE_EXTENSIONS) as ImageContentType[];

const TYPE_BY_EXTENSION: Record<string, ImageContentType> = {
    ...Object.fromEntries(IMAGE_CONTENT_TYPES.map((type) => [IMAGE_EXTENSIONS[type], type])),
    jpeg: "image/jpeg", // JPEG's other common extension
};

export function isImageContentType(value: string): value is ImageContentType {
    return Object.hasOwn(IMAGE_EXTENSIONS, value);
}

/** sharp names each format by its MIME subtype ("jpeg", "png", "webp", "gif", "avif"). */
export function contentTypeForSharpFormat(format: string): ImageContentType | undefined {
    const type = `image/${format}`;
    return isImageContentType(type) ? type : undefined;
}

/** "PNG", "jpeg", ".jpg" → the content type; undefined when unknown. */
export function contentTypeForExtension(extension: string): ImageContentType | undefined {
    const normalized = extension.trim().toLowerCase().replace(/^\./, "");
    return Object.hasOwn(TYPE_BY_EXTENSION, normalized) ? TYPE_BY_EXTENSION[normalized] : undefined;
}

/** The content type of a stored key, from its extension ("uploads/a.jpg" → image/jpeg). */
export function contentTypeForKey(key: string): ImageContentType | undefined {
    const dot = key.lastIndexOf(".");
    return dot < 0 ? undefined : contentTypeForExtension(key.slice(dot + 1));
}
