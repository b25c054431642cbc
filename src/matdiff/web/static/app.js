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
  const warnings = (r.warnings || []).map((w) => `warning: ${w}`);
  $("type-warnings").textContent = warnings.join("\n");
  $("type-warnings").hidden = !warnings.length;

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
