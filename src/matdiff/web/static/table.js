// matdiff's page, the variables table: declarations from the table's edits, the table
// itself, the "with respect to" selects, and /api/variables. Loaded before app.js, which
// holds the state and the wiring (these functions run only once both are loaded).
//
// Issue 15: the edits and the variables chosen belong to one expression
// (state.choicesFor); a new expression starts from its own defaults, an edit for a name
// the expression does not use is dropped, and a declaration the server refuses marks its
// row and cell while the table stays editable, so the next edit recovers.
"use strict";
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
    if (v.reason && v.reason !== "declared" && !state.edits[v.name]) {
      const why = document.createElement("small");  // why the parser gave this type
      why.className = "why";
      why.textContent = v.reason;
      typeCell.append(" ", why);
    }

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
