// matdiff's page: talks only to the JSON API (/api/variables, /api/derivative,
// /api/examples). The state (expression, declarations, variables, options) lives in the
// address bar, so a derivative can be shared as a link. No framework, no build step.
//
// What is computed is always what the controls show (issue 15): the table edits and the
// variables chosen belong to one expression (state.choicesFor); a new expression starts
// from its own defaults (first variable, no second, no declarations), and an edit for a
// name the expression does not use is dropped. A declaration the server refuses marks
// its cell; the table stays editable, so the next edit (or a new expression) recovers.
"use strict";

const $ = (id) => document.getElementById(id);
const PROPERTIES = ["symmetric", "spd", "diagonal", "positive"];
const MATRIX_ONLY = new Set(["symmetric", "spd", "diagonal"]);
const TYPES = ["scalar", "vector", "matrix"];
const DEFAULTS = { layout: "mixed", symgrad: "symmetrized", method: "differential", lang: "en" };
const NAMESPACES = { numpy: "np", jax: "jnp", torch: "torch" };

const state = {
  edits: {},          // name -> {type, dims, props}: what the user changed in the table
  variables: [],      // the last /api/variables answer's rows
  parsedFor: null,    // the request those rows answer
  wrt: [],            // wanted wrt (from the URL or the selects), kept across refreshes
  choicesFor: null,   // the expression that edits and wrt were chosen for
  bad: {},            // name -> the server's error for that name's declaration
  result: null,
  backend: "numpy",
  seq: 0,
};

// --- API -----------------------------------------------------------------------------

async function post(path, body) {
  let response;
  try {
    response = await fetch(path, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch (e) {
    return { error: { kind: "connection", message: "the matdiff server is not reachable" } };
  }
  try {
    return await response.json();
  } catch (e) {
    return { error: { kind: "server", message: `unexpected answer (HTTP ${response.status})` } };
  }
}

// --- declarations from the table edits -------------------------------------------------

function declarationOf(name) {
  const e = state.edits[name];
  if (!e) return null;
  const words = [];
  if (e.type) words.push(e.type === "scalar" || !e.dims ? e.type : `${e.type}(${e.dims})`);
  for (const p of e.props || []) words.push(p);
  return words.length ? `${name}: ${words.join(" ")}` : null;
}

function declarations() {
  return Object.keys(state.edits).sort().map(declarationOf).filter(Boolean);
}

function readDeclaration(text) {
  // "A: matrix(n, n) symmetric" -> ["A", {type, dims, props}] (the URL's d=... entries)
  const m = /^\s*([A-Za-z][A-Za-z0-9_]*)\s*:\s*(scalar|vector|matrix)?\s*(?:\(([^)]*)\))?\s*(.*)$/.exec(text);
  if (!m) return null;
  const props = m[4].split(/[\s,]+/).filter((p) => PROPERTIES.includes(p));
  return [m[1], { type: m[2] || "", dims: (m[3] || "").trim(), props }];
}

// --- the expression box and errors --------------------------------------------------------

function escapeHtml(s) {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}

function highlight(start, end) {
  const text = $("expr").value;
  const backdrop = $("backdrop");
  if (start === undefined || start === null) {
    backdrop.innerHTML = "";
    $("expr").parentElement.classList.remove("has-error");
    return;
  }
  const stop = Math.max(end, start + 1);
  const marked = text.slice(start, stop) || " ";
  backdrop.innerHTML = escapeHtml(text.slice(0, start)) + "<mark>" + escapeHtml(marked) +
    "</mark>" + escapeHtml(text.slice(stop));
  backdrop.scrollLeft = $("expr").scrollLeft;
  $("expr").parentElement.classList.add("has-error");
}

function caretLines(source, start, end) {
  const width = Math.max(1, Math.min(end, source.length + 1) - start);
  return source + "\n" + " ".repeat(start) + "^".repeat(width);
}

function showError(err) {
  const box = $("error");
  box.innerHTML = "";
  const head = document.createElement("div");
  const kind = document.createElement("span");
  kind.className = "kind";
  kind.textContent = err.kind || "error";
  head.append(kind);
  const where = err.column ? ` at column ${err.column}` +
    (err.where === "declaration" ? " of the declaration" : "") : "";
  head.append(`${where}: ${err.message}`);
  box.append(head);
  if (err.start !== undefined && err.start !== null) {
    const pre = document.createElement("pre");
    const source = err.where === "declaration" ? err.source : $("expr").value;
    pre.textContent = caretLines(source, err.start, err.end);
    box.append(pre);
    if (err.where !== "declaration") highlight(err.start, err.end);
  }
  box.hidden = false;
}

function clearError() {
  $("error").hidden = true;
  highlight(null);
}

// --- the variables table --------------------------------------------------------------------

function currentType(v) {
  const e = state.edits[v.name];
  return (e && e.type) || v.type;
}

function edit(name) {
  if (!state.edits[name]) state.edits[name] = { type: "", dims: "", props: [] };
  return state.edits[name];
}

function pruneEdit(name) {
  const e = state.edits[name];
  if (e && !e.type && !e.dims && !(e.props || []).length) delete state.edits[name];
}

function renderTable() {
  const body = $("vars").querySelector("tbody");
  body.innerHTML = "";
  const used = state.variables.filter((v) => v.used);
  $("vars-empty").hidden = used.length > 0;
  for (const v of used) {
    const tr = document.createElement("tr");
    tr.dataset.name = v.name;
    if (state.edits[v.name]) tr.classList.add("edited");
    const problem = state.bad[v.name];
    if (problem) {
      tr.classList.add("bad");
      tr.title = `${problem.kind}: ${problem.message}`;
    }
    const name = document.createElement("td");
    name.className = "name";
    name.textContent = v.name;

    const typeCell = document.createElement("td");
    const type = document.createElement("select");
    type.className = "type";
    type.setAttribute("aria-label", `type of ${v.name}`);
    for (const t of TYPES) type.add(new Option(t, t, false, t === currentType(v)));
    type.addEventListener("change", () => {
      const e = edit(v.name);
      e.type = type.value === v.type && !e.dims ? "" : type.value;
      e.dims = "";
      if (type.value !== "matrix") e.props = (e.props || []).filter((p) => !MATRIX_ONLY.has(p));
      pruneEdit(v.name);
      changed();
    });
    typeCell.append(type);

    const dimsCell = document.createElement("td");
    const dims = document.createElement("input");
    dims.type = "text";
    dims.className = "dims";
    dims.setAttribute("aria-label", `dimensions of ${v.name}`);
    dims.placeholder = v.dims.length ? v.dims.join(", ") : "—";
    dims.value = (state.edits[v.name] || {}).dims || "";
    dims.disabled = currentType(v) === "scalar";
    if (problem) {
      const [open, close] = [problem.source.indexOf("("), problem.source.lastIndexOf(")")];
      const inDims = open >= 0 && problem.start > open && problem.start <= close;
      (inDims ? dims : type).setAttribute("aria-invalid", "true");
      (inDims ? dims : type).title = problem.message;
    }
    dims.addEventListener("change", () => {
      const e = edit(v.name);
      e.dims = dims.value.trim();
      e.type = e.dims ? currentType(v) : (e.type === v.type ? "" : e.type);
      pruneEdit(v.name);
      changed();
    });
    dimsCell.append(dims);

    const propsCell = document.createElement("td");
    const props = document.createElement("div");
    props.className = "props";
    const isMatrix = currentType(v) === "matrix";
    for (const p of PROPERTIES) {
      const chip = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.name = p;
      box.checked = v.properties.includes(p) || ((state.edits[v.name] || {}).props || []).includes(p);
      box.disabled = MATRIX_ONLY.has(p) && !isMatrix;
      chip.className = "chip" + (box.checked ? " on" : "") + (box.disabled ? " off" : "");
      chip.title = box.disabled ? `${p}: for square matrices` : p;
      box.addEventListener("change", () => {
        const e = edit(v.name);
        const set = new Set(e.props || []);
        if (box.checked) set.add(p); else set.delete(p);
        e.props = PROPERTIES.filter((q) => set.has(q));
        pruneEdit(v.name);
        changed();
      });
      chip.append(box, p);
      props.append(chip);
    }
    propsCell.append(props);
    tr.append(name, typeCell, dimsCell, propsCell);
    body.append(tr);
  }
}

function renderWrt() {
  const names = state.variables.filter((v) => v.used).map((v) => v.name);
  const [want1, want2] = state.wrt;
  const first = $("wrt1");
  const second = $("wrt2");
  first.innerHTML = "";
  second.innerHTML = "";
  second.add(new Option("—", ""));
  for (const n of names) {
    first.add(new Option(n, n));
    second.add(new Option(n, n));
  }
  first.value = names.includes(want1) ? want1 : (names[0] || "");
  second.value = names.includes(want2) ? want2 : "";
  state.wrt = [first.value, second.value].filter(Boolean);
}

function startFrom(expression) {
  // A new expression: its own defaults, nothing carried over from the previous one.
  if (state.choicesFor === expression) return;
  state.choicesFor = expression;
  state.edits = {};
  state.wrt = [];
  state.bad = {};
}

function declarationName(source) {
  const m = /^\s*([A-Za-z][A-Za-z0-9_]*)\s*:/.exec(source || "");
  return m ? m[1] : null;
}

async function refreshVariables(showErrors) {
  const expression = $("expr").value;
  startFrom(expression);
  const request = { expression, declare: declarations() };
  const key = JSON.stringify(request);
  if (key === state.parsedFor) return true;
  if (!expression.trim()) {
    state.variables = [];
    state.parsedFor = key;
    renderTable();
    renderWrt();
    return false;
  }
  // Refused declarations are left out one by one (each marked in its row), so the
  // table can still be drawn and the bad cell fixed.
  const bad = {};
  let answer = await post("/api/variables", request);
  for (let i = 0; i < 8 && answer.error && answer.error.where === "declaration"; i++) {
    const name = declarationName(answer.error.source);
    if (!name || bad[name] || !state.edits[name]) break;
    bad[name] = answer.error;
    answer = await post("/api/variables", {
      expression, declare: declarations().filter((d) => !(declarationName(d) in bad)),
    });
  }
  if (expression !== $("expr").value) return false;  // typed on meanwhile
  if (answer.error) {
    if (showErrors) showError(answer.error);
    // Draw the table from the expression alone, so the declaration at fault (a shape
    // that does not fit, say) can still be edited.
    const plain = Object.keys(state.edits).length &&
      await post("/api/variables", { expression, declare: [] });
    if (plain && !plain.error && expression === $("expr").value) {
      state.bad = bad;
      state.variables = plain.variables.filter((v) => v.used);
      state.parsedFor = null;
      renderTable();
      renderWrt();
    }
    return false;
  }
  // an edit for a name the expression does not use would act unseen: drop it
  const used = new Set(answer.variables.filter((v) => v.used).map((v) => v.name));
  const unused = Object.keys(state.edits).filter((n) => !used.has(n));
  for (const n of unused) {
    delete state.edits[n];
    delete bad[n];
  }
  if (unused.length) return refreshVariables(showErrors);
  state.bad = bad;
  state.variables = answer.variables.filter((v) => v.used);
  state.parsedFor = key;
  renderTable();
  renderWrt();
  const first = Object.values(bad)[0];
  if (first) {
    state.parsedFor = null;  // not a good answer: ask again after the next edit
    if (showErrors) showError(first);
    return false;
  }
  return true;
}

// --- computing and showing the result ---------------------------------------------------------

function request() {
  return {
    expression: $("expr").value,
    wrt: state.wrt,
    declare: declarations(),
    layout: $("layout").value,
    symmetric_gradient: $("symgrad").value,
    method: $("method").value,
    lang: $("lang").value,
    steps: true,
    check: $("check").checked,
  };
}

async function compute() {
  const seq = ++state.seq;
  clearError();
  if (!$("expr").value.trim()) {
    $("result").hidden = true;
    return;
  }
  document.body.classList.add("busy");
  try {
    if (!(await refreshVariables(true))) {
      if (seq === state.seq) $("result").hidden = true;
      return;
    }
    if (!state.wrt.length) return;
    const req = request();
    writeUrl(req);
    const answer = await post("/api/derivative", req);
    if (seq !== state.seq) return;  // a newer request is on its way
    if (answer.error) {
      showError(answer.error);
      $("result").hidden = true;
      return;
    }
    showResult(answer);
  } finally {
    if (seq === state.seq) document.body.classList.remove("busy");
  }
}

function markStale() {
  // the result shown is for another expression than the box holds: say so until computed
  const stale = Boolean(state.result) && state.result.expression !== $("expr").value;
  $("result").classList.toggle("stale", stale);
  $("stale").hidden = !stale;
}

function unavailableNote(what, reason) {
  return reason ? `${what} unavailable: ${reason.message}` : "";
}

function showResult(r) {
  state.result = r;
  const gone = r.unavailable || {};
  $("math").innerHTML = r.equation_mathml;
  const kron = $("kron");
  kron.hidden = !r.kronecker_mathml;
  kron.innerHTML = r.kronecker_mathml || "";
  $("shape").textContent = r.shape.length ? `shape ${r.shape.join(" × ")}` : "scalar";
  $("layout-badge").textContent = `${r.layout} layout`;
  $("kind").textContent = r.order > 1 ? `order ${r.order}, ${r.kind}` : r.kind;
  const checked = $("checked");
  checked.className = "badge";
  checked.textContent = "";
  checked.title = "";
  if (r.check) {
    checked.classList.add(r.check.ok ? "ok" : "bad");
    const error = r.check.max_relative_error;
    checked.textContent = typeof error === "number"
      ? (r.check.ok ? "✓ checked numerically" : "✗ numerical check failed") +
        `: max relative error ${error.toExponential(1)}`
      : r.check.summary;
  } else if (gone.check) {
    checked.classList.add("na");
    checked.textContent = "numerical check unavailable";
    checked.title = gone.check.message;
  }
  const notes = [unavailableNote("Numerical check", gone.check),
                 unavailableNote("Steps", gone.steps)].filter(Boolean);
  $("unavailable").textContent = notes.join("\n");
  $("unavailable").hidden = !notes.length;
  $("describe").textContent = r.description;

  const list = $("steps-list");
  list.innerHTML = "";
  const steps = r.steps ? r.steps.steps : [];
  for (const s of steps) {
    const li = document.createElement("li");
    const eq = document.createElement("span");
    eq.className = "eq";
    eq.textContent = s.text;
    li.append(eq);
    const why = [s.rule, s.source && `(${s.source})`].filter(Boolean).join(" ");
    if (why) {
      const w = document.createElement("span");
      w.className = "why";
      w.textContent = why;
      li.append(w);
    }
    list.append(li);
  }
  $("steps-count").textContent = steps.length ? `(${steps.length})` : "";
  $("steps").hidden = !steps.length;

  $("text-out").textContent = r.kronecker_text ? `${r.text}\n${r.kronecker_text}` : r.text;
  $("latex-out").textContent = r.kronecker_latex ? `${r.latex}\n${r.kronecker_latex}` : r.latex;
  showCode();
  $("result").hidden = false;
  markStale();
}

function showCode() {
  for (const tab of document.querySelectorAll(".tab")) {
    tab.setAttribute("aria-selected", String(tab.dataset.backend === state.backend));
  }
  const r = state.result;
  const missing = r && r.unavailable && r.unavailable[state.backend];
  $("code-out").textContent = !r ? "" : missing
    ? `(no ${state.backend} code: ${missing.message})` : r.code[state.backend];
  $("code-ns").textContent = NAMESPACES[state.backend];
}

// --- the address bar ---------------------------------------------------------------------------

function writeUrl(req) {
  const p = new URLSearchParams();
  p.set("e", req.expression);
  for (const w of req.wrt) p.append("wrt", w);
  for (const d of req.declare) p.append("d", d);
  if (req.layout !== DEFAULTS.layout) p.set("layout", req.layout);
  if (req.symmetric_gradient !== DEFAULTS.symgrad) p.set("sg", req.symmetric_gradient);
  if (req.method !== DEFAULTS.method) p.set("method", req.method);
  if (req.lang !== DEFAULTS.lang) p.set("lang", req.lang);
  if (!req.check) p.set("check", "0");
  history.replaceState(null, "", "?" + p.toString());
}

function readUrl() {
  const p = new URLSearchParams(location.search);
  $("expr").value = p.get("e") || "";
  state.choicesFor = $("expr").value;  // the link's choices belong to its expression
  state.wrt = p.getAll("wrt").slice(0, 2);
  state.edits = {};
  for (const d of p.getAll("d")) {
    const read = readDeclaration(d);
    if (read) state.edits[read[0]] = read[1];
  }
  const pick = (id, value, fallback) => {
    const select = $(id);
    select.value = value || fallback;
    if (!select.value) select.value = fallback;
  };
  pick("layout", p.get("layout"), DEFAULTS.layout);
  pick("symgrad", p.get("sg"), DEFAULTS.symgrad);
  pick("method", p.get("method"), DEFAULTS.method);
  pick("lang", p.get("lang"), DEFAULTS.lang);
  $("check").checked = p.get("check") !== "0";
  return Boolean($("expr").value);
}

// --- wiring ---------------------------------------------------------------------------------

function changed() {
  // a table edit or an option: recompute (the table is redrawn from the answer)
  state.parsedFor = null;
  compute();
}

async function loadExamples() {
  let answer;
  try {
    answer = await (await fetch("/api/examples")).json();
  } catch (e) {
    return;
  }
  const select = $("examples");
  const groups = {};
  answer.examples.forEach((ex, i) => {
    if (!groups[ex.group]) {
      groups[ex.group] = document.createElement("optgroup");
      groups[ex.group].label = ex.group;
      select.append(groups[ex.group]);
    }
    groups[ex.group].append(new Option(ex.title, String(i)));
  });
  select.addEventListener("change", () => {
    const ex = answer.examples[Number(select.value)];
    select.value = "";
    if (!ex) return;
    $("expr").value = ex.expression;
    state.choicesFor = ex.expression;
    state.bad = {};
    state.edits = {};
    for (const d of ex.declare) {
      const read = readDeclaration(d);
      if (read) state.edits[read[0]] = read[1];
    }
    state.wrt = ex.wrt.slice(0, 2);
    state.parsedFor = null;
    compute();
  });
}

function copy(text, button) {
  const done = () => {
    button.classList.add("done");
    const label = button.textContent;
    button.textContent = "Copied";
    setTimeout(() => { button.classList.remove("done"); button.textContent = label; }, 1200);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, () => {});
  } else {
    const area = document.createElement("textarea");
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
    done();
  }
}

let typing = null;

function init() {
  $("form").addEventListener("submit", (event) => {
    event.preventDefault();
    compute();
  });
  const expr = $("expr");
  expr.addEventListener("input", () => {
    highlight(null);
    markStale();
    clearTimeout(typing);
    typing = setTimeout(() => refreshVariables(false), 250);
  });
  expr.addEventListener("scroll", () => { $("backdrop").scrollLeft = expr.scrollLeft; });
  $("wrt1").addEventListener("change", () => {
    state.wrt = [$("wrt1").value, $("wrt2").value].filter(Boolean);
    compute();
  });
  $("wrt2").addEventListener("change", () => {
    state.wrt = [$("wrt1").value, $("wrt2").value].filter(Boolean);
    compute();
  });
  for (const id of ["layout", "symgrad", "method", "lang", "check"]) {
    $(id).addEventListener("change", compute);
  }
  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => { state.backend = tab.dataset.backend; showCode(); });
  }
  for (const button of document.querySelectorAll("button.copy")) {
    button.addEventListener("click", () => copy($(button.dataset.copy).textContent, button));
  }
  $("share").addEventListener("click", (event) => copy(location.href, event.target));
  loadExamples();
  if (readUrl()) {
    if (state.wrt.length) compute(); else refreshVariables(true);
  }
  expr.focus();
}

document.addEventListener("DOMContentLoaded", init);
