/*
 * The workflow graph, drawn from the ASL definition itself (never from a list of state names): every state of
 * States (and of a Map's ItemProcessor / a Parallel's Branches, as a box around them), every Next, Choice, Default
 * and Catch as an edge. dagre (vendored, global `dagre`) lays it out; this draws SVG. Each state node is coloured
 * by what the run did in it (outcomes from ExecutionView.states) and is a focusable button.
 * Shared by the console and the self-contained HTML report: plain browser JavaScript, no build step.
 */
(function (global) {
  'use strict';
  var SVG = 'http://www.w3.org/2000/svg';

  /** Nodes and edges of an ASL document: { nodes: [{id, type, parent, cluster}], edges: [{from, to, kind}] }. */
  function aslGraph(definition) {
    var nodes = [];
    var edges = [];
    function walk(machine, parent) {
      var states = (machine && machine.States) || {};
      Object.keys(states).forEach(function (name) {
        var s = states[name] || {};
        var inner = s.ItemProcessor || s.Iterator ? [s.ItemProcessor || s.Iterator] : s.Branches || [];
        var cluster = inner.length ? 'cluster:' + name : undefined;
        if (cluster) nodes.push({ id: cluster, type: 'Cluster', label: name + ' (' + s.Type + ')', parent: parent });
        nodes.push({ id: name, type: s.Type, comment: s.Comment, parent: cluster || parent, cluster: cluster });
        var exits = [];
        if (s.Next) exits.push({ to: s.Next, kind: 'next' });
        (s.Choices || []).forEach(function (c) {
          if (c.Next) exits.push({ to: c.Next, kind: 'choice' });
        });
        if (s.Default) exits.push({ to: s.Default, kind: 'default' });
        inner.forEach(function (branch) {
          if (branch && branch.StartAt) edges.push({ from: name, to: branch.StartAt, kind: 'iteration' });
          walk(branch, cluster);
          // The flow leaves a Map/Parallel once its iterations end: draw it from their last states.
          endStates(branch).forEach(function (last) {
            exits.forEach(function (e) {
              edges.push({ from: last, to: e.to, kind: e.kind });
            });
          });
        });
        if (!inner.length) exits.forEach(function (e) {
          edges.push({ from: name, to: e.to, kind: e.kind });
        });
        (s.Catch || []).forEach(function (c) {
          if (c.Next) edges.push({ from: name, to: c.Next, kind: 'catch', label: (c.ErrorEquals || []).join(', ') });
        });
      });
    }
    function endStates(machine) {
      var states = (machine && machine.States) || {};
      return Object.keys(states).filter(function (n) {
        var s = states[n];
        return s.End === true || s.Type === 'Succeed';
      });
    }
    walk(definition, undefined);
    var known = {};
    nodes.forEach(function (n) {
      known[n.id] = true;
    });
    // Several Choice rules may lead to the same state: one edge is enough.
    var seen = {};
    edges = edges.filter(function (e) {
      var key = e.from + '→' + e.to + ':' + (e.kind === 'catch' ? 'c' : 'n');
      if (seen[key] || !known[e.from] || !known[e.to]) return false;
      seen[key] = true;
      return true;
    });
    return { nodes: nodes, edges: edges, startAt: definition && definition.StartAt };
  }

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) {
      node.setAttribute(k, String(attrs[k]));
    });
    if (parent) parent.appendChild(node);
    return node;
  }

  function seconds(s) {
    if (s === undefined || s === null) return '';
    return s < 1 ? Math.round(s * 1000) + ' ms' : s < 120 ? s.toFixed(1) + ' s' : Math.round(s / 60) + ' min';
  }

  /** The second line of a node: time spent, entries, polls and retries. */
  function metaLine(outcome) {
    if (!outcome) return 'not reached';
    var parts = [seconds(outcome.totalSeconds)];
    if (outcome.polls) parts.push(outcome.polls + (outcome.polls === 1 ? ' poll' : ' polls'));
    else if (outcome.entries > 1) parts.push('×' + outcome.entries);
    if (outcome.retries) parts.push(outcome.retries + (outcome.retries === 1 ? ' retry' : ' retries'));
    return parts.filter(Boolean).join(' · ');
  }

  var STATUS_WORDS = {
    succeeded: 'succeeded',
    failed: 'failed',
    retried: 'succeeded after a retry',
    running: 'running now',
    caught: 'failed, caught into the failure path',
    notReached: 'not reached',
  };

  /** A smooth path through dagre's edge points: straight to the first midpoint, then quadratic curves. */
  function curve(points) {
    if (points.length < 3) {
      return points.map(function (p, j) {
        return (j ? 'L' : 'M') + p.x.toFixed(1) + ' ' + p.y.toFixed(1);
      }).join(' ');
    }
    var f = function (n) {
      return n.toFixed(1);
    };
    var d = 'M' + f(points[0].x) + ' ' + f(points[0].y);
    for (var i = 1; i < points.length - 1; i++) {
      var mid = { x: (points[i].x + points[i + 1].x) / 2, y: (points[i].y + points[i + 1].y) / 2 };
      if (i === points.length - 2) mid = points[i + 1];
      d += ' Q' + f(points[i].x) + ' ' + f(points[i].y) + ' ' + f(mid.x) + ' ' + f(mid.y);
    }
    return d;
  }

  /** A Catch edge the run went along: its state failed into the failure path, and the target was reached. */
  function taken(edge, outcomes) {
    var from = outcomes[edge.from];
    var to = outcomes[edge.to];
    if (!from || !to) return false;
    return edge.kind !== 'catch' || from.status === 'failed' || from.status === 'caught';
  }

  /**
   * Renders the graph as an <svg>. options.onSelect(stateName) is called when a state is clicked or activated with
   * Enter/Space; options.selected highlights one state; options.allCatches draws every Catch edge (by default only
   * those the run took: a dozen failure paths would hide the flow).
   */
  function renderGraph(definition, outcomes, options) {
    options = options || {};
    outcomes = outcomes || {};
    var model = aslGraph(definition);
    var hasMainEntry = {};
    model.edges.forEach(function (e) {
      if (e.kind !== 'catch') hasMainEntry[e.to] = true;
    });
    // Catch edges are drawn, but only laid out when nothing else leads to their target.
    var laidOut = model.edges.filter(function (e) {
      return e.kind !== 'catch' || !hasMainEntry[e.to];
    });
    var drawn = model.edges.filter(function (e) {
      return e.kind !== 'catch' || options.allCatches || taken(e, outcomes);
    });
    var g = new global.dagre.graphlib.Graph({ compound: true, multigraph: true });
    g.setGraph({ rankdir: 'TB', nodesep: 26, ranksep: 24, edgesep: 14, marginx: 12, marginy: 12 });
    g.setDefaultEdgeLabel(function () {
      return {};
    });
    model.nodes.forEach(function (n) {
      if (n.type === 'Cluster') g.setNode(n.id, { label: n.label, paddingTop: 26 });
      else {
        var meta = metaLine(outcomes[n.id]);
        var width = Math.max(n.id.length * 7.4, meta.length * 6.2) + 26;
        g.setNode(n.id, { width: Math.max(100, width), height: 36 });
      }
      if (n.parent) g.setParent(n.id, n.parent);
    });
    laidOut.forEach(function (e) {
      g.setEdge(e.from, e.to, { weight: e.kind === 'next' ? 3 : 1, minlen: 1 }, e.from + '→' + e.to + e.kind);
    });
    global.dagre.layout(g);

    var size = g.graph();
    var routedAside = drawn.some(function (e) {
      return !g.edge({ v: e.from, w: e.to, name: e.from + '→' + e.to + e.kind });
    });
    var width = Math.ceil(size.width + (routedAside ? 40 : 0));
    var svg = el('svg', {
      class: 'aep-graph',
      viewBox: '0 0 ' + width + ' ' + Math.ceil(size.height),
      width: width,
      height: Math.ceil(size.height),
      role: 'group',
      'aria-label': 'Workflow graph: ' + model.nodes.length + ' states',
    });
    var defs = el('defs', {}, svg);
    ['next', 'catch'].forEach(function (kind) {
      var marker = el('marker', { id: 'arrow-' + kind, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, defs);
      el('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrow arrow-' + kind }, marker);
    });

    var clusters = el('g', { class: 'clusters' }, svg);
    model.nodes.forEach(function (n) {
      if (n.type !== 'Cluster') return;
      var c = g.node(n.id);
      el('rect', { x: c.x - c.width / 2, y: c.y - c.height / 2, width: c.width, height: c.height, rx: 8, class: 'cluster' }, clusters);
      var label = el('text', { x: c.x - c.width / 2 + 10, y: c.y - c.height / 2 + 16, class: 'cluster-label' }, clusters);
      label.textContent = n.label;
    });

    var edgeLayer = el('g', { class: 'edges' }, svg);
    drawn.forEach(function (e) {
      var laid = g.edge({ v: e.from, w: e.to, name: e.from + '→' + e.to + e.kind });
      var points = laid ? laid.points : sideRoute(g.node(e.from), g.node(e.to));
      var path = el('path', {
        d: curve(points),
        class: 'edge edge-' + e.kind + (taken(e, outcomes) ? ' taken' : ''),
        'marker-end': 'url(#arrow-' + (e.kind === 'catch' ? 'catch' : 'next') + ')',
      }, edgeLayer);
      var title = el('title', {}, path);
      title.textContent = e.from + ' → ' + e.to + (e.kind === 'catch' ? ' (catch ' + e.label + ')' : e.kind === 'default' ? ' (default)' : '');
    });

    var nodeLayer = el('g', { class: 'nodes' }, svg);
    model.nodes.forEach(function (n) {
      if (n.type === 'Cluster') return;
      var box = g.node(n.id);
      var outcome = outcomes[n.id];
      var status = outcome ? outcome.status : 'notReached';
      var group = el('g', {
        class: 'state st-' + status + ' type-' + n.type + (options.selected === n.id ? ' selected' : ''),
        tabindex: 0,
        role: 'button',
        'data-state': n.id,
        'data-status': status,
        'aria-label': n.id + ' (' + n.type + '): ' + STATUS_WORDS[status] + (outcome ? ', ' + metaLine(outcome) : ''),
        transform: 'translate(' + (box.x - box.width / 2) + ',' + (box.y - box.height / 2) + ')',
      }, nodeLayer);
      var rx = n.type === 'Choice' ? 18 : n.type === 'Succeed' || n.type === 'Fail' ? 18 : 6;
      el('rect', { width: box.width, height: box.height, rx: rx, class: 'state-box' }, group);
      var name = el('text', { x: box.width / 2, y: 15, class: 'state-name' }, group);
      name.textContent = n.id;
      var meta = el('text', { x: box.width / 2, y: 29, class: 'state-meta' }, group);
      meta.textContent = metaLine(outcome);
      var title = el('title', {}, group);
      title.textContent = n.id + ' · ' + n.type + ' · ' + STATUS_WORDS[status] + (n.comment ? '\n' + n.comment : '');
      function select() {
        if (options.onSelect) options.onSelect(n.id);
      }
      group.addEventListener('click', select);
      group.addEventListener('keydown', function (event) {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          select();
        }
      });
    });
    return svg;
  }

  /** A Catch edge that was not laid out: out of the source's right side, around, into the target's right side. */
  function sideRoute(from, to) {
    var out = Math.max(from.x + from.width / 2, to.x + to.width / 2) + 24;
    return [
      { x: from.x + from.width / 2, y: from.y },
      { x: out, y: from.y + (to.y - from.y) * 0.15 },
      { x: out, y: to.y - (to.y - from.y) * 0.15 },
      { x: to.x + to.width / 2, y: to.y },
    ];
  }

  global.AepGraph = { aslGraph: aslGraph, renderGraph: renderGraph, metaLine: metaLine, seconds: seconds, STATUS_WORDS: STATUS_WORDS };
})(typeof window !== 'undefined' ? window : globalThis);
