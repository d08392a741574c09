// A well-formed 12-bit JPEG (extended sequential, Huffman: SOF1), written here byte by byte because no encoder
// in our dependencies writes 12-bit samples (sharp's libjpeg is 8-bit only; libjpeg-turbo 3's `cjpeg -precision
// 12` decodes this file back to the same levels). ITU-T T.81, https://www.w3.org/Graphics/JPEG/itu-t81.pdf:
// greyscale, 8x8 blocks of flat 12-bit levels, so each block is its DC coefficient alone (A.3.3: DC =
// 8 x (level - 2048) for a flat block, with every quantiser 1) followed by an end-of-block.

const segment = (marker: number, payload: number[]) => [
    0xff,
    marker,
    (payload.length + 2) >> 8,
    (payload.length + 2) & 0xff,
    ...payload,
];

/** The JPEG of `levels` (0-4095), one per 8x8 block, blocksWide x blocksHigh blocks in raster order. */
export function jpeg12Bit(blocksWide: number, blocksHigh: number, levels: number[]): Buffer {
    const width = blocksWide * 8;
    const height = blocksHigh * 8;
    // B.2.4.1 DQT: Pq 0 (8-bit entries, allowed at 12-bit precision), table 0, every entry 1.
    const dqt = segment(0xdb, [0x00, ...Array(64).fill(1)]);
    // B.2.2 SOF1: P 12, Y, X, one component (id 1, sampling 1x1, table 0).
    const sof = segment(0xc1, [12, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]);
    // B.2.4.2 DHT, C.2: DC table 0 codes difference categories 0-14 in 4 bits (0000-1110) and category 15 in 5
    // (11110; no code is all ones); AC table 0 has one symbol, EOB (0x00), coded "0".
    const dcBits = [0, 0, 0, 15, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const dht = segment(0xc4, [
        0x00,
        ...dcBits,
        ...Array.from({ length: 16 }, (_, i) => i),
        0x10,
        1,
        ...Array(15).fill(0),
        0x00,
    ]);
    // B.2.3 SOS: one component (1) with tables 0/0, spectral selection 0-63, no successive approximation.
    const sos = segment(0xda, [1, 1, 0x00, 0, 63, 0]);
    const bits: number[] = [];
    const put = (value: number, length: number) => {
        for (let i = length - 1; i >= 0; i--) bits.push((value >> i) & 1);
    };
    let previous = 0;
    for (const level of levels) {
        const dc = 8 * (level - 2048);
        const difference = dc - previous; // F.1.2.1: DC is coded as the difference to the previous block's
        previous = dc;
        const category = difference === 0 ? 0 : Math.floor(Math.log2(Math.abs(difference))) + 1;
        if (category < 15) put(category, 4);
        else put(0b11110, 5);
        // F.1.2.1.1: the low `category` bits of the difference, or of difference - 1 when negative.
        if (category > 0) put(difference > 0 ? difference : difference - 1 + (1 << category), category);
        put(0, 1); // EOB
    }
    while (bits.length % 8 !== 0) bits.push(1); // F.1.2.3: pad with 1-bits
    const data: number[] = [];
    for (let i = 0; i < bits.length; i += 8) {
        const byte = bits.slice(i, i + 8).reduce((value, bit) => (value << 1) | bit, 0);
        data.push(byte);
        if (byte === 0xff) data.push(0x00); // B.1.1.5: a stuffed zero after every X'FF' in entropy-coded data
    }
    return Buffer.from([0xff, 0xd8, ...dqt, ...sof, ...dht, ...sos, ...data, 0xff, 0xd9]);
}
