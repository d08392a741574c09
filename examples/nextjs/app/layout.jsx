export const metadata = { title: "image-pipeline with next/image" };

export default function RootLayout({ children }) {
    return (
        <html lang="en">
            <body style={{ margin: 0, fontFamily: "system-ui, sans-serif" }}>{children}</body>
        </html>
    );
}
