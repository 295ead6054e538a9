// Node-only (beside the server): the portal's pages. `/` lists the open pull requests, most
// rebuilds first, then most newly failing, then most lines changed; `/pr/N` shows the newest
// review (the index.html `eka review` writes, in a frame) under the job's live state, which
// portal.js keeps current from the server's event stream. Everything comes from this server:
// the pages' Content-Security-Policy allows nothing else.
import type { LiveJob } from "./job.node.ts";
import type { Job, PullRequest } from "./queue.node.ts";

/** The portal's own pages: scripts, styles, frames and connections only to this server. */
export const PORTAL_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/** A review page (renderHtml's inline style and script), framable by the portal only. */
export const REVIEW_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; base-uri 'none'";

export interface PrListing {
  pr: PullRequest;
  /** The newest job (its state), and the newest finished one (its figures). */
  latest: Job | null;
  finished: Job | null;
}

/** The portal's order: rebuilds, then newly failing, then lines changed (each most first), then number. */
export function orderPrs(list: PrListing[]): PrListing[] {
  const key = (l: PrListing) => l.finished?.summary ?? { rebuilds: -1, newlyFailing: -1, linesChanged: -1 };
  return [...list].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    return y.rebuilds - x.rebuilds || y.newlyFailing - x.newlyFailing || y.linesChanged - x.linesChanged || a.pr.number - b.pr.number;
  });
}

export function renderIndex(list: PrListing[]): string {
  const rows = orderPrs(list).map((l) => {
    const s = l.finished?.summary;
    const verdict = s ? (s.mergeSafe ? '<span class="ok">✓ merge-safe</span>' : '<span class="bad">✗ not merge-safe</span>') : '<span class="dim">no review yet</span>';
    return `<tr data-pr="${l.pr.number}" data-rebuilds="${s?.rebuilds ?? ""}" data-newly-failing="${s?.newlyFailing ?? ""}" data-lines-changed="${s?.linesChanged ?? ""}">
<td><a href="/pr/${l.pr.number}">#${l.pr.number}</a></td><td>${esc(l.pr.title)}</td><td>${verdict}</td>
<td class="n">${s?.rebuilds ?? "–"}</td><td class="n">${s?.newlyFailing ?? "–"}</td><td class="n">${s?.linesChanged ?? "–"}</td>
<td class="state" data-state="${l.latest?.state ?? ""}">${l.latest ? `${esc(l.latest.state)} (job ${l.latest.id})` : "–"}</td></tr>`;
  });
  return page(
    "eka ci: open pull requests",
    `<h1>Open pull requests <span class="count">${list.length}</span></h1>
<table id="prs"><thead><tr><th>PR</th><th>title</th><th>verdict</th><th>rebuilds</th><th>newly failing</th><th>lines changed</th><th>job</th></tr></thead>
<tbody>${rows.join("\n") || '<tr><td colspan="7" class="dim">none</td></tr>'}</tbody></table>`,
    "index",
  );
}

export function renderPr(pr: PullRequest, latest: Job | null, finished: Job | null, live: LiveJob | null): string {
  const frame = finished ? `<iframe id="review" title="review of job ${finished.id}" src="/jobs/${finished.id}/"></iframe>` : '<p id="review-none" class="dim">No finished review yet.</p>';
  return page(
    `eka ci: #${pr.number} ${pr.title}`,
    `<p><a href="/">← open pull requests</a></p>
<h1>#${pr.number} ${esc(pr.title)}</h1>
<p class="dim">${esc(pr.baseRef)} ${pr.baseSha.slice(0, 12)} → ${pr.headSha.slice(0, 12)} · ${pr.state}</p>
<section id="job" data-pr="${pr.number}" data-job="${latest?.id ?? ""}" data-state="${latest?.state ?? ""}" data-finished="${finished?.id ?? ""}">${jobHtml(latest, live)}</section>
${frame}`,
    "pr",
  );
}

/** The live part of /pr/N (portal.js replaces it from /api/pr/N). */
export function jobHtml(job: Job | null, live: LiveJob | null): string {
  if (!job) return "<p>No job.</p>";
  const links = `<a href="/jobs/${job.id}/job.log">job log</a>${job.state === "done" ? ` · <a href="/jobs/${job.id}/review.json">review.json</a> · <a href="/jobs/${job.id}/review.md">review.md</a>` : ""}`;
  const builds = live?.builds.length
    ? `<ul class="builds">${live.builds.map((b) => `<li data-state="${b.state}"><a href="/log/${encodeURIComponent(b.storePath.split("/").pop() ?? "")}">${esc(b.name)}</a> ${b.state}${b.ms !== null ? ` ${(b.ms / 1000).toFixed(1)} s` : ""}</li>`).join("")}</ul>`
    : "";
  const phase = job.state === "running" && live ? ` — ${live.phase}` : "";
  const changes = job.state === "running" && live?.changes ? `<p class="changes">${Object.entries(live.changes).map(([k, n]) => `<span data-change="${esc(k)}">${n} ${esc(k)}</span>`).join(" · ")}${live.toBuild ? ` · <span class="progress">${live.builds.filter((b) => b.state !== "building").length} of ${live.toBuild} packages built</span>` : ""}</p>` : "";
  return `<p>Job ${job.id} (${esc(job.kind)}${job.only.length ? `: ${esc(job.only.join(", "))}` : ""}): <b class="state">${esc(job.state)}</b>${esc(phase)}${job.error ? ` <span class="bad">${esc(job.error)}</span>` : ""} · ${links}</p>${changes}${builds}`;
}

function page(title: string, body: string, kind: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><link rel="stylesheet" href="/portal.css"><title>${esc(title)}</title></head>
<body data-page="${kind}">
${body}
<script src="/portal.js"></script>
</body></html>
`;
}

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);
}

export const PORTAL_CSS = `body{font:15px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:1200px;padding:0 1em;color:#1b1b1b}
a{color:#0550ae}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3em .6em;border-bottom:1px solid #ddd}
td.n{text-align:right;font-variant-numeric:tabular-nums}.ok{color:#116329}.bad{color:#a40e26}.dim{color:#666}
.count{font-size:.7em;background:#eee;border-radius:1em;padding:0 .5em}
iframe#review{width:100%;height:75vh;border:1px solid #ccc;border-radius:4px}ul.builds{columns:3;font-size:.9em}
li[data-state=building]{font-weight:bold}`;

/** Subscribes to /events; on a change, /pr/N redraws its job part and swaps in a newer review, / reloads. */
export const PORTAL_JS = `(() => {
  "use strict";
  const body = document.body;
  let busy = false, again = false;
  async function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    try {
      if (body.dataset.page === "index") {
        const r = await fetch("/", { headers: { accept: "text/html" } });
        const doc = new DOMParser().parseFromString(await r.text(), "text/html");
        const fresh = doc.getElementById("prs"), old = document.getElementById("prs");
        if (fresh && old) old.replaceWith(document.importNode(fresh, true));
      } else if (body.dataset.page === "pr") {
        const job = document.getElementById("job");
        const r = await fetch("/api/pr/" + job.dataset.pr);
        const s = await r.json();
        job.innerHTML = s.jobHtml;
        job.dataset.job = s.latest ? String(s.latest.id) : "";
        job.dataset.state = s.latest ? s.latest.state : "";
        const fin = s.finished ? String(s.finished.id) : "";
        if (fin && fin !== job.dataset.finished) {
          job.dataset.finished = fin;
          let frame = document.getElementById("review");
          if (!frame) {
            frame = document.createElement("iframe");
            frame.id = "review";
            const none = document.getElementById("review-none");
            if (none) none.replaceWith(frame); else body.appendChild(frame);
          }
          frame.title = "review of job " + fin;
          frame.src = "/jobs/" + fin + "/";
        }
      }
    } catch (e) {
      // The server restarting: the event stream reconnects and the next event redraws.
    } finally {
      busy = false;
      if (again) { again = false; refresh(); }
    }
  }
  const es = new EventSource("/events");
  es.addEventListener("change", refresh);
})();
`;
