/**
 * The demo: for now, a native thread streams ten million samples through a lock-free RingBuffer
 * to JavaScript, which checks every one. (The real mixer demo replaces this.)
 */
import { RingBuffer } from "../mod.ts";
import { native } from "../src/ffi/mod.ts";

const total = 10_000_000;
using ring = new RingBuffer(8, 4096);
const started = performance.now();
const peer = native().rtm_test_ring_peer_start(ring._acquire(), total, 0);
const chunk = new Float64Array(1024);
let next = 0;
let wrong = 0;
while (next < total) {
  const got = ring.readInto(chunk);
  for (let i = 0; i < got; i++) if (chunk[i] !== next++) wrong++;
}
native().rtm_test_ring_peer_join(peer!);
ring._release();
const ms = performance.now() - started;
console.log(
  `${total.toLocaleString("en")} samples crossed threads through a ${ring.size}-element ring buffer ` +
    `in ${ms.toFixed(0)} ms (${(total / ms / 1000).toFixed(1)} M/s); ${wrong} out of order.`,
);
