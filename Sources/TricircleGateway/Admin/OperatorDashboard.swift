import Hummingbird

/// `GET /dashboard`: the operator's page, plain HTML and a little script over the admin API (`/v1.0/status`,
/// `PUT /v1.0/jobs/{id}` to redo a failed job). The page holds no data itself: it asks for a Keystone token
/// with the admin role (typed in, or given as `#token=...` in the address) and keeps it for the tab only.
enum OperatorDashboard {
    static func response() -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                      // Only our own script and same-origin calls; nothing from elsewhere.
                      .contentSecurityPolicy: "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'"],
            body: .init(byteBuffer: .init(string: page)))
    }

    static let page = #"""
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><title>Tricircle: operator view</title>
    <style>
      body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
      h1 { font-size: 1.4em; margin: 0 0 .2em; } h2 { font-size: 1.1em; margin: 1.4em 0 .4em; }
      table { border-collapse: collapse; min-width: 40em; } th, td { border: 1px solid #ccc; padding: .3em .6em; text-align: left; vertical-align: top; }
      th { background: #f2f2f2; } .ok { color: #176c2f; font-weight: 600; } .open { color: #b00020; font-weight: 600; }
      .muted { color: #777; } #error { color: #b00020; } button { cursor: pointer; }
      #login { margin: 1em 0; } #login input { width: 40em; }
    </style></head>
    <body>
    <h1>Tricircle: operator view</h1>
    <div class="muted">Pods and their circuits, jobs, failures. Refreshed every 5 s. Series for Prometheus: <a href="/metrics">/metrics</a>.</div>
    <form id="login" hidden><label>Admin token (<code>openstack token issue -f value -c id</code>):
      <input id="token" type="password" autocomplete="off"></label> <button>Show</button></form>
    <div id="error"></div>
    <section id="view" hidden>
      <h2>Pods</h2><table id="pods"><thead><tr><th>Region</th><th>AZ</th><th>Circuits</th><th>Resources routed here</th></tr></thead><tbody></tbody></table>
      <h2>Job queue (all gateway processes)</h2><table id="queue"><thead><tr><th>Type</th><th>Status</th><th>Jobs</th></tr></thead><tbody></tbody></table>
      <h2>Job runs (this process)</h2><table id="runs"><thead><tr><th>Type</th><th>Succeeded</th><th>Failed</th><th>Handed back</th><th>Longest run</th></tr></thead><tbody></tbody></table>
      <h2>Recent failed jobs</h2><table id="failed"><thead><tr><th>Job</th><th>Type</th><th>Project</th><th>Attempts</th><th>Last error</th><th>Request</th><th></th></tr></thead><tbody></tbody></table>
      <div class="muted" id="stamp"></div>
    </section>
    <script>
    const $ = (id) => document.getElementById(id);
    const cell = (text, cls) => { const td = document.createElement('td'); td.textContent = text ?? ''; if (cls) td.className = cls; return td; };
    const row = (cells) => { const tr = document.createElement('tr'); cells.forEach((c) => tr.appendChild(c)); return tr; };
    const fill = (id, rows) => { const body = $(id).querySelector('tbody'); body.replaceChildren(...rows);
      if (!rows.length) body.appendChild(row([Object.assign(cell('none', 'muted'), { colSpan: 7 })])); };
    let token = new URLSearchParams(location.hash.slice(1)).get('token') || sessionStorage.getItem('tricircle-token');
    if (location.hash) history.replaceState(null, '', location.pathname);
    async function call(method, path) {
      const reply = await fetch(path, { method, headers: { 'X-Auth-Token': token, 'Accept': 'application/json' } });
      const body = await reply.json().catch(() => ({}));
      if (!reply.ok) throw new Error(`${method} ${path}: ${reply.status} ${body?.badRequest?.message || body?.itemNotFound?.message || body?.error?.message || JSON.stringify(body)}`);
      return body;
    }
    async function refresh() {
      try {
        const s = await call('GET', '/v1.0/status');
        sessionStorage.setItem('tricircle-token', token);
        $('login').hidden = true; $('view').hidden = false; $('error').textContent = '';
        fill('pods', s.pods.map((p) => {
          const circuits = cell(''); 
          if (!p.circuits.length) circuits.replaceChildren(Object.assign(document.createElement('span'), { textContent: 'not called yet', className: 'muted' }));
          p.circuits.forEach((c) => { const span = document.createElement('div');
            span.textContent = `${c.service}: ${c.open ? 'open' : 'closed'}${c.last_error ? ' (last error: ' + c.last_error + ', ' + c.failures + ' in a row)' : ''}`;
            span.className = c.open ? 'open' : 'ok'; circuits.appendChild(span); });
          const routed = Object.entries(p.routings).map(([t, n]) => `${t} ${n}`).join(', ');
          return row([cell(p.region_name), cell(p.az_name || '(top)'), circuits, cell(routed || 'nothing', routed ? '' : 'muted')]);
        }));
        fill('queue', s.jobs.queue.map((q) => row([cell(q.type), cell(q.status), cell(String(q.count))])));
        fill('runs', s.jobs.runs.map((r) => row([cell(r.type), cell(String(r.succeeded)), cell(String(r.failed)), cell(String(r.handedBack)), cell(r.maxSeconds.toFixed(2) + ' s')])));
        fill('failed', s.failed_jobs.map((j) => {
          const redo = document.createElement('button'); redo.textContent = 'Redo';
          redo.onclick = async () => { redo.disabled = true; try { await call('PUT', '/v1.0/jobs/' + encodeURIComponent(j.id)); } catch (e) { $('error').textContent = e.message; } refresh(); };
          const action = cell(''); action.appendChild(redo);
          return row([cell(j.id), cell(j.type), cell(j.project_id), cell(`${j.attempts}/${j.max_attempts}${j.will_retry ? ', will retry' : ''}`), cell(j.last_error), cell(j.request_id, 'muted'), action]);
        }));
        $('stamp').textContent = 'As of ' + new Date().toISOString();
      } catch (e) {
        $('error').textContent = e.message; $('login').hidden = false;
      }
    }
    $('login').onsubmit = (e) => { e.preventDefault(); token = $('token').value.trim(); refresh(); };
    if (token) refresh(); else $('login').hidden = false;
    setInterval(() => { if (token && !$('view').hidden) refresh(); }, 5000);
    </script>
    </body></html>
    """#
}
