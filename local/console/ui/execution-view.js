/*
 * One execution, rendered from an ExecutionView document (cli/execution-view.ts): summary, error, the workflow graph
 * coloured by the run, per-state timings, the gate (each smoke case's comparison, output beside baseline), rollback,
 * audit record and event history. The console and the self-contained HTML report both call AepView.renderExecution,
 * so they show the same thing. Plain browser JavaScript; text always goes in as textContent, never as HTML.
 */
(function (global) {
  'use strict';

  /** h('div', {class: 'x'}, child, 'text', …): a DOM element; null/undefined/false children are skipped. */
  function h(tag, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === undefined || v === null || v === false) return;
      if (k.slice(0, 2) === 'on') node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : String(v));
    });
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }
  function append(node, child) {
    if (child === undefined || child === null || child === false) return;
    if (Array.isArray(child)) child.forEach(function (c) {
      append(node, c);
    });
    else node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }

  var seconds = function (s) {
    return global.AepGraph.seconds(s);
  };
  function time(iso) {
    if (!iso) return '—';
    var d = new Date(iso);
    return isNaN(d.getTime()) ? iso : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  }
  /** With `digits`, always that many (0.00 beside 0.80 reads better than 0); without, integers stay whole. */
  function number(n, digits) {
    if (typeof n !== 'number') return '—';
    if (digits !== undefined) return n.toFixed(digits);
    return Number.isInteger(n) ? String(n) : n.toFixed(3);
  }
  function statusBadge(status) {
    return h('span', { class: 'badge badge-' + String(status || 'UNKNOWN').toLowerCase() }, status || 'UNKNOWN');
  }
  function pretty(text) {
    if (text === undefined || text === null) return '';
    if (typeof text !== 'string') return JSON.stringify(text, null, 2);
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch (e) {
      return text;
    }
  }
  /** An S3 URI, linked when the host can serve it (the console), plain text otherwise (the offline report). */
  function uriLink(uri, options) {
    if (!uri) return '—';
    var href = options.objectLink ? options.objectLink(uri) : undefined;
    return href ? h('a', { href: href, target: '_blank', rel: 'noopener' }, h('code', {}, uri)) : h('code', {}, uri);
  }
  function section(id, title) {
    var args = Array.prototype.slice.call(arguments, 2);
    return h('section', { id: id, 'aria-labelledby': id + '-title' }, h('h2', { id: id + '-title' }, title), args);
  }
  function table(headers, rows, attrs) {
    return h(
      'table',
      attrs || {},
      h('thead', {}, h('tr', {}, headers.map(function (x) {
        return h('th', { scope: 'col' }, x);
      }))),
      h('tbody', {}, rows),
    );
  }
  function keyValues(pairs) {
    return h('dl', { class: 'kv' }, pairs.filter(function (p) {
      return p[1] !== undefined && p[1] !== null && p[1] !== '';
    }).map(function (p) {
      return [h('dt', {}, p[0]), h('dd', {}, p[1])];
    }));
  }

  function summary(view, options) {
    var r = view.report;
    return h(
      'header',
      { class: 'run-header' },
      h('h1', {}, 'Execution ', h('span', { class: 'run-name' }, r.executionName), ' ', statusBadge(r.status)),
      keyValues([
        ['Endpoint', r.endpointName],
        ['Model', r.modelDataUrl ? uriLink(r.modelDataUrl, options) : undefined],
        ['Started', time(r.startDate)],
        ['Duration', r.durationSeconds !== undefined ? seconds(r.durationSeconds) + (r.status === 'RUNNING' ? ' so far' : '') : undefined],
        ['Now in', r.currentState],
        ['Polls / retries', r.polls + ' / ' + r.retries],
        ['Execution ARN', h('code', {}, r.executionArn)],
      ]),
      r.error
        ? h(
            'div',
            { class: 'error-box', role: 'alert' },
            h('strong', { class: 'error-name' }, r.error.error),
            r.error.state ? h('span', {}, ' in state ', h('code', { class: 'error-state' }, r.error.state)) : null,
            h('p', { class: 'error-cause' }, r.error.cause),
          )
        : null,
    );
  }

  /** The graph (with its legend) and the panel that shows the state selected in it: placed apart by the layout. */
  function graphParts(view, options, ui) {
    var details = h('section', { id: 'state', class: 'state-details', 'aria-live': 'polite', 'aria-label': 'Selected state' });
    if (!view.definition) return { graph: section('graph', 'Workflow', h('p', { class: 'muted' }, 'The workflow definition could not be read.')), details: details };
    var holder = h('div', { class: 'graph-holder' });
    function show(name) {
      ui.selected = name;
      details.replaceChildren(stateDetails(view, name));
      Array.prototype.forEach.call(holder.querySelectorAll('.state'), function (g) {
        g.classList.toggle('selected', g.getAttribute('data-state') === name);
      });
    }
    function draw() {
      holder.replaceChildren(global.AepGraph.renderGraph(view.definition, view.states, { selected: ui.selected, onSelect: show, allCatches: ui.allCatches }));
    }
    draw();
    var catches = h('label', { class: 'graph-options' }, h('input', { type: 'checkbox', checked: !!ui.allCatches, onchange: function (event) {
      ui.allCatches = event.target.checked;
      draw();
    } }), ' Show every Catch path (default: those this run took)');
    var initial = ui.selected || (view.report.error && view.report.error.state) || undefined;
    if (initial) details.replaceChildren(stateDetails(view, initial));
    else details.replaceChildren(h('p', { class: 'muted' }, 'Select a state in the graph (click, or Tab then Enter) to see its timings, errors, input and output.'));
    var legend = h('ul', { class: 'legend', 'aria-label': 'Legend' }, ['succeeded', 'retried', 'running', 'failed', 'caught', 'notReached'].map(function (s) {
      return h('li', {}, h('span', { class: 'swatch st-' + s }), global.AepGraph.STATUS_WORDS[s]);
    }));
    return { graph: section('graph', 'Workflow', legend, catches, holder), details: details };
  }

  function stateDetails(view, name) {
    var o = view.states[name];
    var events = view.events.filter(function (e) {
      return e.state === name;
    });
    var lastIn = events.filter(function (e) {
      return e.input !== undefined;
    }).pop();
    var lastOut = events.filter(function (e) {
      return e.output !== undefined;
    }).pop();
    return h(
      'div',
      {},
      h('h3', {}, name),
      o
        ? keyValues([
            ['Status', global.AepGraph.STATUS_WORDS[o.status]],
            ['Entered', String(o.entries)],
            ['Time', seconds(o.totalSeconds)],
            ['Polls', o.polls ? String(o.polls) : undefined],
            ['Retries', o.retries ? String(o.retries) : undefined],
          ])
        : h('p', { class: 'muted' }, 'Not reached in this run.'),
      o && o.errors.length
        ? h('ul', { class: 'errors' }, o.errors.map(function (e) {
            return h('li', {}, h('strong', {}, e.error), e.retried ? ' (retried) ' : ' ', e.cause);
          }))
        : null,
      lastIn ? h('details', {}, h('summary', {}, 'Input (last entry)'), h('pre', {}, pretty(lastIn.input))) : null,
      lastOut ? h('details', {}, h('summary', {}, 'Output (last exit)'), h('pre', {}, pretty(lastOut.output))) : null,
    );
  }

  function timingsSection(view) {
    var names = Object.keys(view.states);
    if (!names.length) return null;
    var rows = names.map(function (name) {
      var o = view.states[name];
      return h(
        'tr',
        { class: 'st-row-' + o.status },
        h('th', { scope: 'row' }, name),
        h('td', {}, global.AepGraph.STATUS_WORDS[o.status]),
        h('td', { class: 'num' }, String(o.entries)),
        h('td', { class: 'num' }, o.polls ? String(o.polls) : ''),
        h('td', { class: 'num' }, o.retries ? String(o.retries) : ''),
        h('td', { class: 'num' }, seconds(o.totalSeconds)),
      );
    });
    return section('timings', 'Timings per state', table(['State', 'Outcome', 'Entered', 'Polls', 'Retries', 'Time'], rows, { class: 'timings' }));
  }

  /** The metrics a person compares, per mode. */
  function metricCells(c) {
    var m = c.metrics || {};
    if (c.mode === 'topk') return 'overlap@' + m.k + ' ' + number(m.overlapAtK, 2) + ' · Jaccard ' + number(m.jaccard, 2) + ' · RBO ' + number(m.rbo, 2);
    if (c.mode === 'numeric') return 'max |Δ| ' + number(m.maxAbsError, 6) + ' · max rel Δ ' + number(m.maxRelError, 6) + ' · violations ' + number(m.violations);
    return m.equal === 1 ? 'equal' : number(m.differences) + ' differences';
  }

  function gateSection(view, options) {
    var cases = view.report.cases || [];
    if (!cases.length) return section('gate', 'Gate', h('p', { class: 'muted' }, view.report.status === 'RUNNING' ? 'No smoke case has finished yet.' : 'No smoke case ran.'));
    var rows = cases.map(function (c) {
      var rep = view.comparisons[c.name] || {};
      var threshold = rep.compare && rep.compare.minOverlap !== undefined ? 'min ' + number(rep.compare.minOverlap, 2) : '';
      return h(
        'tr',
        { class: c.passed ? 'case-passed' : 'case-failed', 'data-case': c.name },
        h('th', { scope: 'row' }, c.name),
        h('td', {}, c.mode),
        h('td', {}, h('span', { class: 'badge ' + (c.passed ? 'badge-succeeded' : 'badge-failed') }, c.passed ? 'passed' : 'failed')),
        h('td', { class: 'metrics' }, metricCells(c), threshold ? h('span', { class: 'muted' }, ' (' + threshold + ')') : null),
        h('td', { class: 'num' }, c.latencySeconds !== undefined ? seconds(c.latencySeconds) : '—'),
      );
    });
    var details = cases.map(function (c) {
      return caseDetails(c, view.comparisons[c.name], (view.payloads || {})[c.name], options);
    });
    return section('gate', 'Gate: smoke cases against their baselines', h('div', { class: 'table-scroll' }, table(['Case', 'Mode', 'Verdict', 'Comparison', 'Output after'], rows, { class: 'gate' })), details);
  }

  function caseDetails(c, rep, payload, options) {
    rep = rep || {};
    var sel = rep.selections || {};
    var side;
    if (Array.isArray(sel.output) && Array.isArray(sel.baseline)) {
      var inBaseline = {};
      var inOutput = {};
      sel.baseline.forEach(function (x) {
        inBaseline[JSON.stringify(x)] = true;
      });
      sel.output.forEach(function (x) {
        inOutput[JSON.stringify(x)] = true;
      });
      var k = (c.metrics && c.metrics.k) || Math.max(sel.output.length, sel.baseline.length);
      var n = Math.min(Math.max(sel.output.length, sel.baseline.length), Math.max(k, 1));
      var rows = [];
      for (var i = 0; i < n; i++) {
        var o = sel.output[i];
        var b = sel.baseline[i];
        rows.push(
          h(
            'tr',
            {},
            h('td', { class: 'num' }, String(i + 1)),
            h('td', { class: o === undefined ? '' : inBaseline[JSON.stringify(o)] ? 'same' : 'differs' }, o === undefined ? '—' : JSON.stringify(o)),
            h('td', { class: b === undefined ? '' : inOutput[JSON.stringify(b)] ? 'same' : 'differs' }, b === undefined ? '—' : JSON.stringify(b)),
          ),
        );
      }
      side = table(['Rank', 'Output', 'Baseline'], rows, { class: 'side-by-side', 'aria-label': 'Output beside baseline for ' + c.name });
    } else if (sel.output !== undefined || sel.baseline !== undefined) {
      side = h('div', { class: 'two-columns' }, h('div', {}, h('h4', {}, 'Output'), h('pre', {}, pretty(sel.output))), h('div', {}, h('h4', {}, 'Baseline'), h('pre', {}, pretty(sel.baseline))));
    }
    var diffs = (rep.differences || []).map(function (d) {
      return h('li', {}, h('code', {}, d.path), ' ', d.detail);
    });
    return h(
      'details',
      { class: 'case-details', open: !c.passed },
      h('summary', {}, c.name, ': ', c.passed ? 'passed' : 'failed', ' — details'),
      c.cause ? h('p', { class: 'case-cause' }, c.cause) : null,
      keyValues([
        ['Compare', rep.compare ? h('code', {}, JSON.stringify(rep.compare)) : undefined],
        ['Payload', payload ? uriLink(payload, options) : undefined],
        ['Baseline', rep.baseline ? uriLink(rep.baseline, options) : undefined],
        ['Output', uriLink(c.outputUri, options)],
        ['Report', c.reportUri ? uriLink(c.reportUri, options) : undefined],
        ['Inference id', c.inferenceId ? h('code', {}, c.inferenceId) : undefined],
      ]),
      side,
      diffs.length ? h('div', {}, h('h4', {}, 'Differences'), h('ul', {}, diffs)) : null,
    );
  }

  function rollbackSection(view) {
    var rb = view.report.rollback;
    if (!rb) return null;
    return section(
      'rollback',
      'Rollback',
      h('ul', {}, rb.actions.map(function (a) {
        return h('li', {}, a);
      })),
      rb.kept && rb.kept.length ? h('p', {}, 'Kept (onFailure: keep): ' + rb.kept.join(', ')) : null,
    );
  }

  function auditSection(view, options) {
    var a = view.audit;
    if (!a) {
      return section('audit', 'Audit record', h('p', { class: 'muted' }, view.report.status === 'RUNNING' ? 'Written when the run ends.' : 'No audit record read' + (view.report.auditUri ? ' at ' + view.report.auditUri : '') + '.'));
    }
    var res = a.resources || {};
    return section(
      'audit',
      'Audit record',
      keyValues([
        ['Verdict', h('span', { class: 'badge ' + (a.verdict === 'passed' ? 'badge-succeeded' : 'badge-failed') }, a.verdict)],
        ['Record', uriLink(view.report.auditUri, options)],
        ['Artifact', a.artifact ? [uriLink(a.artifact.uri, options), a.artifact.etag ? ' ETag ' + a.artifact.etag : '', a.artifact.versionId ? ' version ' + a.artifact.versionId : ''] : undefined],
        ['Model', res.model && res.model.name],
        ['Endpoint config', res.endpointConfig && res.endpointConfig.name],
        ['Previous config', a.previousConfigName],
        ['Error', a.error ? a.error.Error + ': ' + a.error.Cause : undefined],
        ['Recorded', a.timestamps && time(a.timestamps.recordedAt)],
      ]),
      h('details', {}, h('summary', {}, 'The whole record (JSON)'), h('pre', {}, pretty(a))),
    );
  }

  function eventsSection(view) {
    var rows = view.events.map(function (e) {
      var data = [];
      if (e.input !== undefined) data.push(h('details', {}, h('summary', {}, 'input'), h('pre', {}, pretty(e.input))));
      if (e.output !== undefined) data.push(h('details', {}, h('summary', {}, 'output'), h('pre', {}, pretty(e.output))));
      if (e.error !== undefined || e.cause !== undefined) data.push(h('div', { class: 'event-error' }, h('strong', {}, e.error || ''), ' ', e.cause || ''));
      return h('tr', {}, h('td', { class: 'num' }, String(e.id)), h('td', {}, time(e.timestamp)), h('td', {}, e.type), h('td', {}, e.state || ''), h('td', {}, data));
    });
    return section(
      'events',
      'Event history (' + view.events.length + (view.eventsTruncated ? '+' : '') + ' events)',
      h('details', {}, h('summary', {}, 'Show every event with its input and output'), table(['#', 'Time', 'Type', 'State', 'Data'], rows, { class: 'events' })),
    );
  }

  /**
   * Renders the execution into `root` (replacing its content). options.objectLink(uri) → href for S3 objects, or
   * undefined; options.ui keeps the selected state across re-renders of a live run.
   */
  function renderExecution(root, view, options) {
    options = options || {};
    var ui = options.ui || {};
    var graph = graphParts(view, options, ui);
    // Laptop-wide: the tall graph on the left, what a person reads first on the right; the long tables below.
    var parts = [
      h('div', { class: 'execution-layout' },
        h('div', { class: 'col-graph' }, graph.graph),
        h('div', { class: 'col-main' }, summary(view, options), graph.details, gateSection(view, options), rollbackSection(view))),
      timingsSection(view),
      auditSection(view, options),
      eventsSection(view),
      view.gaps && view.gaps.length
        ? section('gaps', 'Not shown', h('ul', {}, view.gaps.map(function (g) {
            return h('li', {}, g);
          })))
        : null,
      h('p', { class: 'muted generated' }, 'Generated ' + time(view.generatedAt)),
    ];
    root.replaceChildren.apply(root, parts.filter(Boolean));
  }

  global.AepView = { h: h, renderExecution: renderExecution, statusBadge: statusBadge, time: time, seconds: seconds, uriLink: uriLink, table: table };
})(typeof window !== 'undefined' ? window : globalThis);
