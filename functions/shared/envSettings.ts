// Reading a Lambda's settings from its environment: a missing or malformed value fails the cold start loudly.

export function envReader(env: Record<string, string | undefined>) {
    const required = (name: string): string => {
        const value = env[name];
        if (value === undefined || value === "") throw new Error(`Missing environment variable ${name}`);
        return value;
    };
    const positive = (name: string): number => {
        const value = Number(required(name));
        if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
        return value;
    };
    const list = (name: string): string[] => (env[name] ?? "").split(",").filter(Boolean);
    return { required, positive, list };
}
