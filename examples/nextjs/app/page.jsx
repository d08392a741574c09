// One uploaded image (its key from ?key=, e.g. the `key` of an upload's status), twice: across the page and in
// half of it. next/image asks the loader for each width of its srcset; the browser loads the one its layout needs.
import Image from "next/image";

export default async function Page({ searchParams }) {
    const { key } = await searchParams;
    if (!key) return <p>Open this page with ?key=uploads/&lt;id&gt;.jpg (the key of a ready upload).</p>;
    return (
        <main>
            <h1 style={{ fontSize: "1.2rem", padding: "0 1rem" }}>{key}</h1>
            <div style={{ position: "relative", width: "100vw", aspectRatio: "4 / 3" }}>
                <Image id="full" src={key} alt="Full width" fill sizes="100vw" />
            </div>
            <div style={{ position: "relative", width: "50vw", aspectRatio: "4 / 3" }}>
                <Image id="half" src={key} alt="Half width" fill sizes="50vw" />
            </div>
        </main>
    );
}
