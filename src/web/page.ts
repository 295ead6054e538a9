/**
 * The `eka web` page (bundled as dist/web/page.js): an editor over a tree of atoms (the examples
 * to start), Build and Run in the build worker, the result (also as JSON in #eka-result), the
 * steps as they run, diagnostics at their line, and the store. Nothing heavy runs on this thread.
 * Query parameters: `store=opfs:NAME|memory:` (default opfs:eka), `atom=DIR` (the atom shown first).
 */
import type { ProgressEvent } from "../builder/types.ts";
import { BuildWorker, WorkerError } from "./client.ts";
import type { Diagnostic, StoreEntry, WebBuildResult } from "./session.ts";

interface Config {
  seedVersion: string;
  seedWasm: string;
  seedTar: string;
  store: string;
}
interface Examples {
  atoms: { dir: string; id: string }[];
  files: Record<string, string>;
}

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const FILES_KEY = "eka-web-files-v1";
const params = new URLSearchParams(location.search);

const ui = {
  atom: $<HTMLSelectElement>("atom"),
  build: $<HTMLButtonElement>("build"),
  run: $<HTMLButtonElement>("run"),
  exportBtn: $<HTMLButtonElement>("export"),
  importInput: $<HTMLInputElement>("import"),
  reset: $<HTMLButtonElement>("reset"),
  status: $("status"),
  files: $("files"),
  fileName: $("file-name"),
  newFile: $<HTMLButtonElement>("new-file"),
  code: $<HTMLTextAreaElement>("code"),
  gutter: $("gutter"),
  problems: $("problems"),
  pid: $("r-pid"),
  path: $("r-path"),
  cid: $("r-cid"),
  result: $("eka-result"),
  steps: $("steps"),
  log: $("log"),
  args: $<HTMLInputElement>("args"),
  stdin: $<HTMLTextAreaElement>("stdin"),
  terminal: $("terminal"),
  store: $("store").querySelector("tbody") as HTMLElement,
  storeName: $("store-name"),
  closure: $("closure"),
};

let examples: Examples;
let files: Record<string, string> = {};
let current = "";
let diagnostics: Diagnostic[] = [];
let last: WebBuildResult | null = null;
let busy = false;
const worker = new BuildWorker(new URL("worker.js", import.meta.url));

await main();

async function main(): Promise<void> {
  const [config, ex] = await Promise.all([getJson<Config>("config.json"), getJson<Examples>("examples.json")]);
  examples = ex;
  files = loadFiles() ?? { ...ex.files };
  for (const a of ex.atoms) ui.atom.add(new Option(a.id, a.dir));
  const first = params.get("atom") ?? (ex.atoms.some((a) => a.dir === "hello") ? "hello" : null);
  if (first && ex.atoms.some((a) => a.dir === first)) ui.atom.value = first;
  showFiles();
  openFile(firstFileOf(ui.atom.value));
  bindKeys();
  const store = params.get("store") ?? config.store;
  ui.storeName.textContent = store;
  setStatus("loading the compiler…", true);
  try {
    const o = await worker.call({ op: "open", options: { store, seed: { version: config.seedVersion, wasmUrl: new URL(config.seedWasm, location.href).href, tarUrl: new URL(config.seedTar, location.href).href } } });
    (window as unknown as { ekaSeed: unknown }).ekaSeed = o;
    setStatus(`ready — seed ${o.fromCache.wasm && o.fromCache.tar ? "from this browser's cache" : "downloaded"} in ${Math.round(o.ms.total)} ms`);
    await refreshStore();
  } catch (e) {
    setStatus(`the compiler did not load: ${message(e)}`);
    ui.terminal.textContent = message(e);
    ui.build.disabled = true;
    document.body.dataset.ready = "failed";
    return;
  }
  document.body.dataset.ready = "yes";
}

// ---- editor --------------------------------------------------------------------------------

function showFiles(): void {
  ui.files.replaceChildren();
  const atomDirs = examplesAtomsOf(files);
  for (const dir of atomDirs) {
    const head = document.createElement("div");
    head.className = "atom";
    head.textContent = dir;
    ui.files.append(head);
    for (const f of Object.keys(files).filter((p) => p.startsWith(`${dir}/`)).sort(fileOrder)) {
      const a = document.createElement("a");
      a.textContent = f.slice(dir.length + 1);
      a.dataset.file = f;
      if (f === current) a.className = "current";
      if (diagnostics.some((d) => d.file === f && d.severity !== "note")) a.classList.add("has-error");
      a.addEventListener("click", () => openFile(f));
      ui.files.append(a);
    }
  }
}

function openFile(path: string): void {
  if (current && current in files) files[current] = ui.code.value;
  current = path;
  ui.fileName.textContent = path;
  ui.code.value = files[path] ?? "";
  ui.code.scrollTop = 0;
  drawGutter();
  showFiles();
}

function drawGutter(): void {
  const n = ui.code.value.split("\n").length;
  const marks = new Map<number, string>();
  for (const d of diagnostics) if (d.file === current) marks.set(d.line, d.severity.includes("error") ? "err" : marks.get(d.line) ?? "warn");
  const lines: string[] = [];
  for (let i = 1; i <= n; i++) {
    const m = marks.get(i);
    const msg = diagnostics.filter((d) => d.file === current && d.line === i).map((d) => `${d.severity}: ${d.message}`).join("\n");
    lines.push(m ? `<span class="${m}" title="${escapeHtml(msg)}">${i}</span>` : String(i));
  }
  ui.gutter.innerHTML = lines.join("\n") + "\n";
  ui.gutter.scrollTop = ui.code.scrollTop;
}

function showProblems(): void {
  ui.problems.replaceChildren();
  for (const d of diagnostics) {
    const li = document.createElement("li");
    li.className = d.severity.includes("error") ? "error" : d.severity;
    li.textContent = `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}`;
    li.addEventListener("click", () => goTo(d));
    ui.problems.append(li);
  }
  drawGutter();
  showFiles();
}

function goTo(d: Diagnostic): void {
  if (d.file in files) openFile(d.file);
  const lines = ui.code.value.split("\n");
  const at = lines.slice(0, d.line - 1).reduce((n, l) => n + l.length + 1, 0) + Math.max(0, d.column - 1);
  ui.code.focus();
  ui.code.setSelectionRange(at, at);
  const lh = parseFloat(getComputedStyle(ui.code).lineHeight) || 19;
  ui.code.scrollTop = Math.max(0, (d.line - 4) * lh);
  drawGutter();
}

ui.code.addEventListener("input", () => {
  files[current] = ui.code.value;
  saveFiles();
  drawGutter();
});
ui.code.addEventListener("scroll", () => (ui.gutter.scrollTop = ui.code.scrollTop));
ui.code.addEventListener("keydown", (e) => {
  if (e.key === "Tab" && !e.ctrlKey && !e.metaKey) {
    e.preventDefault();
    ui.code.setRangeText("    ", ui.code.selectionStart, ui.code.selectionEnd, "end");
    ui.code.dispatchEvent(new Event("input"));
  }
});
ui.atom.addEventListener("change", () => openFile(firstFileOf(ui.atom.value)));
ui.newFile.addEventListener("click", () => {
  const name = prompt(`New file in ${ui.atom.value}/ (e.g. src/util.c):`);
  if (!name) return;
  const path = `${ui.atom.value}/${name.replace(/^\/+/, "")}`;
  files[path] ??= "";
  saveFiles();
  openFile(path);
});
ui.reset.addEventListener("click", () => {
  if (!confirm("Put every example back as it was? Your edits are lost.")) return;
  files = { ...examples.files };
  localStorage.removeItem(FILES_KEY);
  diagnostics = [];
  showProblems();
  openFile(firstFileOf(ui.atom.value));
});

function bindKeys(): void {
  document.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
      e.preventDefault();
      if (e.shiftKey) void runLast();
      else void build();
    }
  });
  ui.build.addEventListener("click", () => void build());
  ui.run.addEventListener("click", () => void runLast());
  ui.exportBtn.addEventListener("click", () => void exportLast());
  ui.importInput.addEventListener("change", () => void importFile());
}

// ---- build and run ------------------------------------------------------------------------

async function build(): Promise<void> {
  if (busy) return;
  files[current] = ui.code.value;
  busy = true;
  ui.build.disabled = true;
  ui.steps.replaceChildren();
  const atomDir = ui.atom.value;
  setStatus(`building ${atomDir}…`, true);
  const rows = new Map<string, HTMLLIElement>();
  const onEvent = (ev: { type: string; event?: ProgressEvent }) => {
    if (ev.type !== "progress" || !ev.event) return;
    const e = ev.event;
    const name = "storePath" in e ? e.storePath.slice(44) : "";
    if (e.type === "step-start" || e.type === "step-done") {
      const key = `${e.storePath} ${e.stepId}`;
      let li = rows.get(key);
      if (!li) rows.set(key, (li = ui.steps.appendChild(document.createElement("li"))));
      li.className = e.type === "step-start" ? "running" : e.cached ? "cached" : "done";
      li.innerHTML = `${escapeHtml(name)}: ${escapeHtml(e.stepId)}${e.type === "step-done" ? `<span class="ms">${e.cached ? "cached" : `${Math.round(e.ms)} ms`}</span>` : " …"}`;
      setStatus(`building ${atomDir}: ${e.stepsDone}/${e.stepsTotal} steps of ${name}`, true);
    } else if (e.type === "plan" && e.packagesToBuild === 0) {
      ui.steps.innerHTML = `<li class="cached">nothing to build: every package is in the store</li>`;
    }
  };
  try {
    const r = await worker.call({ op: "build", files: { ...files }, atomDir }, onEvent);
    last = r;
    diagnostics = [];
    showProblems();
    ui.pid.textContent = r.pid;
    ui.path.textContent = r.storePath;
    ui.cid.textContent = r.cid;
    ui.result.textContent = JSON.stringify({ atom: r.atom, version: r.version, pid: r.pid, storePath: r.storePath, cid: r.cid, built: r.built, stepsRun: r.stepsRun, stepsCached: r.stepsCached, ms: Math.round(r.ms) });
    ui.log.textContent = r.log ?? "(built earlier: no log in this session)";
    ui.run.disabled = r.programs.length === 0;
    ui.exportBtn.disabled = false;
    setStatus(`${r.built ? "built" : "already in the store:"} ${r.storePath.slice(44)} in ${Math.round(r.ms)} ms (${r.stepsRun.length} steps run, ${r.stepsCached.length} cached)`);
    await refreshStore();
  } catch (e) {
    const d = e instanceof WorkerError ? (e.details as { line?: number; column?: number; file?: string; diagnostics?: Diagnostic[]; log?: string } | undefined) : undefined;
    diagnostics = d?.diagnostics ?? (d?.file && d.line ? [{ file: d.file, line: d.line, column: d.column ?? 1, severity: "error", message: stripPlace(message(e)) }] : []);
    showProblems();
    const firstErr = diagnostics.find((x) => x.severity.includes("error"));
    if (firstErr) goTo(firstErr);
    ui.steps.querySelectorAll("li.running").forEach((li) => {
      li.className = "failed";
      li.innerHTML = li.innerHTML.replace(/ …$/, '<span class="ms">failed</span>');
    });
    ui.log.textContent = d?.log ?? message(e);
    ui.terminal.textContent = message(e);
    setStatus(`build failed${e instanceof WorkerError && e.code ? ` (${e.code})` : ""}`);
    document.body.dataset.lastError = e instanceof WorkerError ? (e.code ?? "") : "internal";
  } finally {
    busy = false;
    ui.build.disabled = false;
    document.body.dataset.builds = String(Number(document.body.dataset.builds ?? 0) + 1);
  }
}

async function runLast(): Promise<void> {
  if (!last || busy || last.programs.length === 0) return;
  busy = true;
  ui.run.disabled = true;
  ui.terminal.replaceChildren();
  const program = last.programs[0] as string;
  const args = ui.args.value.trim() ? ui.args.value.trim().split(/\s+/) : [];
  line("meta", `$ ${program} ${args.join(" ")}\n`);
  const dec = { 1: new TextDecoder(), 2: new TextDecoder() };
  try {
    const r = await worker.call({ op: "run", storePath: last.storePath, program, args, stdin: new TextEncoder().encode(ui.stdin.value) }, (ev) => {
      if (ev.type === "out") line(ev.fd === 2 ? "stderr" : "stdout", dec[ev.fd].decode(ev.data, { stream: true }));
    });
    line("meta", `\n[exit ${r.exitCode} · ${Math.round(r.ms)} ms]`);
    ui.terminal.dataset.exit = String(r.exitCode);
  } catch (e) {
    line("stderr", message(e));
  } finally {
    busy = false;
    ui.run.disabled = false;
    document.body.dataset.runs = String(Number(document.body.dataset.runs ?? 0) + 1);
  }
}

function line(cls: string, text: string): void {
  const span = document.createElement("span");
  span.className = cls;
  span.textContent = text;
  ui.terminal.append(span);
  ui.terminal.scrollTop = ui.terminal.scrollHeight;
}

// ---- store -------------------------------------------------------------------------------

async function refreshStore(): Promise<void> {
  const list = await worker.call({ op: "list" });
  ui.store.replaceChildren(...list.map(storeRow(list)));
}

function storeRow(all: StoreEntry[]) {
  return (e: StoreEntry) => {
    const tr = document.createElement("tr");
    if (e.seed) tr.className = "seed";
    tr.innerHTML = `<td>${escapeHtml(e.storePath)}${e.seed ? " (seed, from the cache)" : ""}</td><td class="num">${size(e.narSize)}</td><td class="num">${size(e.closureSize)}</td><td>${e.references.filter((r) => r !== e.storePath).length}</td><td></td>`;
    if (!e.seed) {
      const b = document.createElement("button");
      b.textContent = "export";
      b.addEventListener("click", (ev) => {
        ev.stopPropagation();
        void download([e.storePath]);
      });
      tr.lastElementChild?.append(b);
    }
    tr.addEventListener("click", () => {
      const closure = new Set<string>();
      const walk = (p: string) => {
        if (closure.has(p)) return;
        closure.add(p);
        all.find((x) => x.storePath === p)?.references.forEach(walk);
      };
      walk(e.storePath);
      ui.closure.textContent = `closure of ${e.storePath}:\n${[...closure].sort().map((p) => `  ${p}`).join("\n")}\npid ${e.pid ?? "–"}\ncid ${e.cid}`;
    });
    return tr;
  };
}

async function exportLast(): Promise<void> {
  if (last) await download([last.storePath]);
}

async function download(paths: string[]): Promise<void> {
  const bytes = await worker.call({ op: "export", paths });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: "application/octet-stream" }));
  a.download = `${(paths[0] ?? "store").slice(44)}.eka-export`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

async function importFile(): Promise<void> {
  const f = ui.importInput.files?.[0];
  if (!f) return;
  try {
    const paths = await worker.call({ op: "import", bytes: new Uint8Array(await f.arrayBuffer()) });
    setStatus(`imported ${paths.length} path(s) from ${f.name}`);
    await refreshStore();
  } catch (e) {
    setStatus(`import failed: ${message(e)}`);
  }
  ui.importInput.value = "";
}

// ---- helpers -----------------------------------------------------------------------------

function setStatus(text: string, spinning = false): void {
  ui.status.textContent = text;
  ui.status.classList.toggle("busy", spinning);
}

async function getJson<T>(url: string): Promise<T> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return (await r.json()) as T;
}

function loadFiles(): Record<string, string> | null {
  try {
    const s = localStorage.getItem(FILES_KEY);
    return s ? (JSON.parse(s) as Record<string, string>) : null;
  } catch {
    return null;
  }
}

function saveFiles(): void {
  try {
    localStorage.setItem(FILES_KEY, JSON.stringify(files));
  } catch {
    // Edits stay in the tab.
  }
}

function examplesAtomsOf(f: Record<string, string>): string[] {
  return [...new Set(Object.keys(f).filter((p) => p.endsWith("/atom.toml")).map((p) => p.slice(0, -"/atom.toml".length)))].sort();
}

function firstFileOf(dir: string): string {
  const fs = Object.keys(files).filter((p) => p.startsWith(`${dir}/`)).sort(fileOrder);
  return fs.find((p) => /\.(c|cc|cpp)$/.test(p)) ?? fs[0] ?? `${dir}/atom.toml`;
}

function fileOrder(a: string, b: string): number {
  const rank = (p: string) => (p.endsWith("atom.toml") ? 0 : 1);
  return rank(a) - rank(b) || a.localeCompare(b);
}

function message(e: unknown): string {
  return e instanceof WorkerError && e.code ? `error[${e.code}]: ${e.message}` : e instanceof Error ? e.message : String(e);
}

function stripPlace(m: string): string {
  return m.replace(/^error\[[A-Z_]+\]: /, "").replace(/^[^\s:]+:\d+:\d+: /, "");
}

function size(n: number): string {
  return n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / (1 << 20)).toFixed(1)} MiB`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] as string);
}
