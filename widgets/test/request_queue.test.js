// Unit tests of the scrubber's request queue (node --test; no browser).
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it, mock } from "node:test";
import { RequestQueue, Sequence } from "../scrubber/request_queue.js";

/** A queue whose screen shows frame `shown.index` (exact) and that records what it sends. */
function setUp() {
  const sent = [];
  const shown = { index: -1, exact: false };
  let idle = 0;
  const queue = new RequestQueue({
    seqs: new Sequence(100),
    send: (message) => sent.push(message),
    shows: (want) => !want.offset && want.index === shown.index && (shown.exact || want.preview),
    landing: (want) => want.index + want.offset * 10,
    idle: () => (idle += 1),
    timeoutMs: 5000,
  });
  return { queue, sent, shown, idles: () => idle };
}

const want = (index, extra = {}) => ({ index, preview: false, hint: "step", offset: 0, ...extra });

describe("Sequence", () => {
  it("hands out numbers after its base and knows them as its own", () => {
    const seqs = new Sequence(41);
    assert.equal(seqs.next(), 42);
    assert.equal(seqs.next(), 43);
    assert.ok(seqs.mine(42) && seqs.mine(43));
    assert.ok(!seqs.mine(41) && !seqs.mine(44));
  });

  it("starts at a random point per view by default", () => {
    const a = new Sequence();
    const b = new Sequence();
    assert.notEqual(a.base, b.base);
  });
});

describe("RequestQueue", () => {
  beforeEach(() => mock.timers.enable({ apis: ["setTimeout"] }));
  afterEach(() => mock.timers.reset());

  it("sends a frame request with the wanted fields and its seq", () => {
    const { queue, sent } = setUp();
    queue.ask(want(7, { preview: true, hint: "drag" }));
    assert.deepEqual(sent, [
      { type: "frame", index: 7, seq: 101, preview: true, hint: "drag", offset_seconds: 0 },
    ]);
    assert.equal(queue.inflight.index, 7);
    assert.equal(queue.want, null);
  });

  it("keeps one request in flight; the latest wanted position wins", () => {
    const { queue, sent } = setUp();
    queue.ask(want(1));
    queue.ask(want(2));
    queue.ask(want(3));
    assert.equal(sent.length, 1);
    assert.equal(queue.target(), 3);
    queue.answered(101);
    assert.deepEqual(sent.map((m) => m.index), [1, 3]);
    assert.equal(sent[1].seq, 102);
  });

  it("gives up on the request an error reply answers and asks for the next", () => {
    const { queue, sent } = setUp();
    queue.ask(want(5));
    queue.ask(want(6));
    assert.ok(Number.isFinite(queue.answered(101))); // the error reply of request 101
    assert.equal(queue.inflight.seq, 102);
    assert.deepEqual(sent.map((m) => m.index), [5, 6]);
  });

  it("ignores a reply to another request: the one in flight stays", () => {
    const { queue } = setUp();
    queue.ask(want(5));
    assert.ok(Number.isNaN(queue.answered(99)));
    assert.equal(queue.inflight.seq, 101);
  });

  it("frees the slot when the kernel does not answer in time", () => {
    const { queue, sent } = setUp();
    queue.ask(want(1));
    queue.ask(want(2));
    mock.timers.tick(4999);
    assert.equal(sent.length, 1);
    mock.timers.tick(1);
    assert.deepEqual(sent.map((m) => m.index), [1, 2]);
  });

  it("does not ask for what the screen already shows, and goes idle", () => {
    const { queue, sent, shown, idles } = setUp();
    shown.index = 4;
    shown.exact = true;
    queue.ask(want(4));
    assert.equal(sent.length, 0);
    assert.equal(idles(), 1);
    assert.equal(queue.target(), null);
    assert.ok(!queue.busy());
  });

  it("asks again for a shown preview when the exact frame is wanted", () => {
    const { queue, sent, shown } = setUp();
    shown.index = 4; // a preview is on screen
    queue.ask(want(4, { preview: true }));
    assert.equal(sent.length, 0);
    queue.ask(want(4));
    assert.equal(sent.length, 1);
  });

  it("sends second steps even to the frame shown; the kernel resolves them", () => {
    const { queue, sent, shown } = setUp();
    shown.index = 4;
    shown.exact = true;
    queue.ask(want(4, { offset: 1 }));
    assert.equal(sent[0].offset_seconds, 1);
    assert.equal(queue.inflight.index, 14); // where it will land, for the view
  });

  it("sends nothing once closed", () => {
    const { queue, sent } = setUp();
    queue.close();
    queue.ask(want(1));
    mock.timers.tick(5000);
    assert.equal(sent.length, 0);
  });
});
