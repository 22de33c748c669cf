// The tests' driver of Akua's Node-API addon: one JSON request per line on stdin,
// one JSON answer per line on the file descriptor named by the first argument
// (stdout stays free for what the addon's CLI verbs print). Integers beyond 2^53 arrive as BigInt and are written
// as plain JSON numbers.
"use strict";
const fs = require("fs");
const readline = require("readline");
const addon = require("/oracle/akua.node");
const answers = Number(process.argv[2]);

function encode(value) {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return "[" + value.map(encode).join(",") + "]";
  if (value !== null && typeof value === "object") {
    return "{" + Object.keys(value).filter((k) => value[k] !== undefined)
      .map((k) => JSON.stringify(k) + ":" + encode(value[k])).join(",") + "}";
  }
  return value === undefined ? "null" : JSON.stringify(value);
}

const lines = readline.createInterface({ input: process.stdin });
lines.on("line", (line) => {
  const request = JSON.parse(line);
  let answer;
  const env = request.env || {};
  try {
    process.chdir(request.cwd || "/");
    Object.assign(process.env, env); // Akua's core reads e.g. AKUA_COSIGN_PASSPHRASE from the process
    answer = '{"result":' + encode(addon[request.fn](request.arg)) + "}";
  } catch (error) {
    answer = JSON.stringify({ error: String(error && error.message ? error.message : error) });
  } finally {
    for (const name of Object.keys(env)) delete process.env[name];
  }
  fs.writeSync(answers, answer + "\n");
});
