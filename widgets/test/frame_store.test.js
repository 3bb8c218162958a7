// Unit tests of the scrubber's frame store (node --test; no browser). Bitmaps are
// stand-ins that record whether they were closed.
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import {
  DECODED_PREVIEWS,
  FrameStore,
  KEEP_AHEAD,
  KEEP_BEHIND,
  PREVIEW_SHARE,
  farthest,
} from "../scrubber/frame_store.js";

const MiB = 2 ** 20;

/** A stand-in ImageBitmap of `width` x `height`. */
function bitmap(width = 100, height = 100) {
  return { width, height, closed: false, close() { this.closed = true; } };
}
const reply = (index) => ({
  type: "frame", index, seq: 1, exact: true, time: index, timestamp: index,
});
const jpeg = (bytes) => new Blob([new Uint8Array(bytes)]);

afterEach(() => {
  delete globalThis.createImageBitmap;
});

describe("farthest", () => {
  it("picks the key farthest from the cursor", () => {
    assert.equal(farthest([3, 10, 12], 9), 3);
    assert.equal(farthest([3, 10, 20], 9), 20);
    assert.ok(Number.isNaN(farthest([], 0)));
  });
});

describe("FrameStore exact frames", () => {
  it("holds the window around the cursor when the budget allows", () => {
    const store = new FrameStore(64 * MiB);
    assert.equal(store.exactCapacity(100 * 100 * 4), KEEP_AHEAD + KEEP_BEHIND + 1);
    assert.equal(store.exactCapacity(0), 0);
  });

  it("holds fewer frames in a small budget: three quarters of it", () => {
    const frame = 1000 * 1000 * 4;
    const store = new FrameStore(8 * frame);
    assert.equal(store.exactCapacity(frame), Math.floor(8 * (1 - PREVIEW_SHARE)));
  });

  it("drops and closes the frames farthest from the cursor when full", () => {
    const frame = 100 * 100 * 4;
    const store = new FrameStore(Math.ceil((3 * frame) / (1 - PREVIEW_SHARE))); // 3 frames
    const bitmaps = [0, 1, 2, 3, 4].map(() => bitmap());
    for (const i of [0, 1, 2]) store.putExact(reply(i), bitmaps[i], 2);
    store.putExact(reply(3), bitmaps[3], 2);
    assert.deepEqual([...store.exact.keys()].sort(), [1, 2, 3]);
    assert.ok(bitmaps[0].closed && !bitmaps[1].closed);
    store.putExact(reply(4), bitmaps[4], 4); // the cursor moved on
    assert.deepEqual([...store.exact.keys()].sort(), [2, 3, 4]);
  });

  it("closes the bitmap it replaces, not the one it keeps", () => {
    const store = new FrameStore(64 * MiB);
    const old = bitmap();
    const fresh = bitmap();
    store.putExact(reply(5), old, 5);
    store.putExact(reply(5), fresh, 5);
    assert.ok(old.closed && !fresh.closed);
    store.putExact(reply(5), fresh, 5);
    assert.ok(!fresh.closed);
  });

  it("keeps nothing with no budget", () => {
    const store = new FrameStore(0);
    const b = bitmap();
    store.putExact(reply(1), b, 1);
    assert.equal(store.exact.size, 0);
    assert.ok(b.closed);
  });
});

describe("FrameStore previews", () => {
  it("keeps preview JPEGs within their share, dropping the farthest first", () => {
    const store = new FrameStore(4000 / PREVIEW_SHARE); // 4000 bytes of previews
    for (const k of [0, 30, 60, 90, 120]) store.putPreview(k, jpeg(1000), 60);
    assert.deepEqual([...store.previews.keys()].sort((a, b) => a - b), [30, 60, 90, 120]);
    assert.equal(store.previewBytes, 4000);
    assert.equal(store.previewCapacity(), 4);
    store.putPreview(60, jpeg(500), 60); // replaced: its bytes counted once
    assert.equal(store.previewBytes, 3500);
  });

  it("shows a keyframe from its exact frame, else from its preview", async () => {
    const store = new FrameStore(64 * MiB);
    assert.ok(!store.hasPreview(30));
    assert.equal(store.previewBitmap(30), null);
    const exact = bitmap();
    store.putExact(reply(30), exact, 30);
    assert.ok(store.hasPreview(30));
    assert.equal(store.previewBitmap(30), exact);

    globalThis.createImageBitmap = async () => bitmap();
    store.putPreview(60, jpeg(10), 60);
    const decoded = await store.previewBitmap(60);
    assert.ok(decoded && !decoded.closed);
    assert.equal(store.previewBitmap(60), decoded); // decoded once, then at hand
  });

  it("keeps a few decoded previews, closing the least recently used", async () => {
    const store = new FrameStore(64 * MiB);
    globalThis.createImageBitmap = async () => bitmap();
    const decoded = [];
    for (let k = 0; k <= DECODED_PREVIEWS; k += 1) {
      store.putPreview(k, jpeg(10), 0);
      decoded.push(await store.previewBitmap(k));
    }
    assert.equal(store.decoded.size, DECODED_PREVIEWS);
    assert.ok(decoded[0].closed && !decoded[DECODED_PREVIEWS].closed);
  });

  it("drops a decode that finishes after the store was cleared", async () => {
    const store = new FrameStore(64 * MiB);
    const late = bitmap();
    let finish;
    globalThis.createImageBitmap = () => new Promise((resolve) => (finish = resolve));
    store.putPreview(0, jpeg(10), 0);
    const pending = store.previewBitmap(0);
    store.clear();
    finish(late);
    assert.equal(await pending, null);
    assert.ok(late.closed);
  });
});

describe("FrameStore.clear", () => {
  it("closes every bitmap and forgets every JPEG", () => {
    const store = new FrameStore(64 * MiB);
    const b = bitmap();
    store.putExact(reply(1), b, 1);
    store.putPreview(0, jpeg(10), 0);
    store.clear();
    assert.ok(b.closed);
    assert.equal(store.exact.size + store.previews.size + store.previewBytes, 0);
  });
});
