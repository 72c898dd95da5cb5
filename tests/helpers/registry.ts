/**
 * A tiny npm registry on loopback, for installing the packed rtmixer by name with no network:
 * `GET /<name>` answers the package document (every version it holds, each with its tarball URL
 * and sha512 integrity) and `GET /-/<file>.tgz` the tarball. That is all `bun install`,
 * `npm install` and Deno's `npm:` resolver ask of a registry.
 *
 * It serves rtmixer's tarball and, so that nothing comes from the real registry, every package the
 * consumer projects need from this checkout's node_modules (the dependency closure recorded in
 * package-lock.json), each packed here into a tarball of its installed files.
 */
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { gunzipSync, gzipSync } from "node:zlib";

/** One version of a package: its package.json and its tarball. */
export interface Published {
  manifest: { name: string; version: string; [key: string]: unknown };
  tarball: Uint8Array;
}

export interface Registry {
  /** The registry's URL, with a trailing slash (what `--registry` and NPM_CONFIG_REGISTRY take). */
  url: string;
  /** Paths asked for so far, in order. */
  requests: string[];
  close(): Promise<void>;
}

/** Starts the registry on 127.0.0.1 with a free port. */
export async function startRegistry(packages: Published[]): Promise<Registry> {
  const byName = new Map<string, Published[]>();
  for (const p of packages) byName.set(p.manifest.name, [...byName.get(p.manifest.name) ?? [], p]);
  const tarballName = (p: Published) => `${p.manifest.name.replace("/", "-")}-${p.manifest.version}.tgz`;
  const tarballs = new Map(packages.map((p) => [tarballName(p), p.tarball]));
  const requests: string[] = [];
  let url = "";

  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    requests.push(path);
    const tarball = path.startsWith("/-/") ? tarballs.get(path.slice(3)) : undefined;
    if (tarball) {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": tarball.length }).end(tarball);
      return;
    }
    const versions = byName.get(path.slice(1));
    if (req.method !== "GET" || !versions) {
      res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not found"}');
      return;
    }
    const doc = {
      name: path.slice(1),
      "dist-tags": { latest: versions[versions.length - 1]!.manifest.version },
      versions: Object.fromEntries(versions.map((p) => [p.manifest.version, {
        ...p.manifest,
        dist: {
          tarball: `${url}-/${tarballName(p)}`,
          integrity: `sha512-${createHash("sha512").update(p.tarball).digest("base64")}`,
          shasum: createHash("sha1").update(p.tarball).digest("hex"),
        },
      }])),
    };
    const body = JSON.stringify(doc);
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("no registry address");
  url = `http://127.0.0.1:${address.port}/`;
  return {
    url,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/**
 * The packages that `names` need, as installed in `root`'s node_modules: each with its
 * dependencies, resolved the way Node does (a nested node_modules first, then outwards), from
 * `root`'s package-lock.json. A name missing from the lock is an error.
 */
export function installedClosure(root: string, names: string[]): Published[] {
  const lock = JSON.parse(readFileSync(`${root}/package-lock.json`, "utf8")) as {
    packages: Record<string, { version?: string; dependencies?: Record<string, string>; optional?: boolean }>;
  };
  const found = new Map<string, Published>();
  const resolve = (from: string, name: string): string => {
    for (let dir = from;; dir = dir.slice(0, Math.max(0, dir.lastIndexOf("/node_modules/")))) {
      const key = `${dir ? `${dir}/` : ""}node_modules/${name}`;
      if (lock.packages[key]) return key;
      if (!dir) throw new Error(`${name} (needed by ${from || "the root"}) is not in package-lock.json`);
    }
  };
  const visit = (key: string) => {
    if (found.has(key)) return;
    const entry = lock.packages[key]!;
    const manifest = JSON.parse(readFileSync(`${root}/${key}/package.json`, "utf8"));
    found.set(key, { manifest, tarball: packDirectory(`${root}/${key}`) });
    for (const dep of Object.keys(entry.dependencies ?? {})) visit(resolve(key, dep));
  };
  for (const name of names) visit(resolve("", name));
  // One entry per name and version (two paths can hold the same version).
  const unique = new Map<string, Published>();
  for (const p of found.values()) unique.set(`${p.manifest.name}@${p.manifest.version}`, p);
  return [...unique.values()];
}

/** A gzipped tar of `dir`'s files under `package/`, as `npm pack` lays them out. */
export function packDirectory(dir: string): Uint8Array {
  const blocks: Uint8Array[] = [];
  const walk = (relative: string) => {
    for (
      const entry of readdirSync(`${dir}/${relative}`, { withFileTypes: true }).sort((a, b) => a.name < b.name ? -1 : 1)
    ) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules") walk(path);
      } else if (entry.isFile()) {
        const data = readFileSync(`${dir}/${path}`);
        blocks.push(tarHeader(`package/${path}`, data.length, statSync(`${dir}/${path}`).mode & 0o111 ? 0o755 : 0o644));
        blocks.push(data, new Uint8Array((512 - (data.length % 512)) % 512));
      }
    }
  };
  walk("");
  blocks.push(new Uint8Array(1024));
  return gzipSync(Buffer.concat(blocks), { level: 1 });
}

/** A ustar header block; names longer than 100 bytes are split into prefix and name. */
function tarHeader(path: string, size: number, mode: number): Uint8Array {
  const header = new Uint8Array(512);
  const put = (text: string, offset: number, length: number) => {
    const bytes = new TextEncoder().encode(text);
    if (bytes.length > length) throw new Error(`tar field too long: ${text}`);
    header.set(bytes, offset);
  };
  let name = path, prefix = "";
  if (new TextEncoder().encode(path).length > 100) {
    const cut = path.lastIndexOf("/", 155);
    prefix = path.slice(0, cut);
    name = path.slice(cut + 1);
  }
  const octal = (n: number, length: number) => n.toString(8).padStart(length - 1, "0");
  put(name, 0, 100);
  put(octal(mode, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(499162500, 12), 136, 12); // mtime: npm pack's fixed 1985-10-26, same bytes every time
  header.fill(0x20, 148, 156); // checksum field counts as spaces while summing
  put("0", 156, 1);
  put("ustar", 257, 6);
  put("00", 263, 2);
  put(prefix, 345, 155);
  put(octal(header.reduce((a, b) => a + b, 0), 7), 148, 7);
  return header;
}

/** The files of a gzipped tar (as `npm pack` writes it), by path. */
export function readTarball(gzipped: Uint8Array): Map<string, Uint8Array> {
  const tar = gunzipSync(gzipped);
  const files = new Map<string, Uint8Array>();
  const text = (offset: number, length: number) =>
    new TextDecoder().decode(tar.subarray(offset, offset + length)).replace(/\0.*$/s, "");
  for (let offset = 0; offset + 512 <= tar.length && tar[offset] !== 0;) {
    const name = text(offset, 100), prefix = text(offset + 345, 155);
    const size = parseInt(text(offset + 124, 12).trim() || "0", 8);
    const type = text(offset + 156, 1);
    if (type === "0" || type === "") {
      files.set(prefix ? `${prefix}/${name}` : name, tar.subarray(offset + 512, offset + 512 + size));
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}
