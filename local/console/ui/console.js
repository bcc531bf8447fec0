/*
 * The console app: hash routes over the read-only JSON of ./api/, polled while something can change
 * (live updates without a refresh). #/ executions, #/execution/<arn>, #/endpoints, #/endpoint/<name>.
 */
(function () {
  'use strict';
  var h = window.AepView.h;
  var time = window.AepView.time;
  var seconds = window.AepView.seconds;
  var table = window.AepView.table;
  var main = document.getElementById('main');
  var live = document.getElementById('live');
  var EXECUTION_POLL_MS = 1000;
  var LIST_POLL_MS = 2000;
  var timer;
  var routeId = 0;
  var filters = { endpoint: '', status: '' };
  var executionUi = {};

  function api(path) {
    return fetch('api/' + path, { headers: { accept: 'application/json' } }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw new Error(body.message || response.status + ' ' + response.statusText);
        return body;
      });
    });
  }
  function objectLink(uri) {
    return 'api/object?uri=' + encodeURIComponent(uri);
  }
  function setLive(text) {
    live.textContent = text;
  }
  function showError(error) {
    setLive('not updating: ' + error.message);
  }

  /** Runs load() now and every `ms` while keep() says so and the route has not changed. */
  function poll(ms, load) {
    var id = routeId;
    function tick() {
      load().then(function (again) {
        if (id !== routeId) return;
        setLive((again ? 'live · ' : '') + 'updated ' + new Date().toLocaleTimeString());
        if (again) timer = setTimeout(tick, ms);
      }, function (error) {
        if (id !== routeId) return;
        showError(error);
        timer = setTimeout(tick, ms * 3);
      });
    }
    tick();
  }

  function route() {
    routeId += 1;
    clearTimeout(timer);
    var hash = location.hash.replace(/^#/, '') || '/';
    var match;
    document.getElementById('nav-executions').toggleAttribute('aria-current', false);
    document.getElementById('nav-endpoints').toggleAttribute('aria-current', false);
    if ((match = /^\/execution\/(.+)$/.exec(hash))) return executionPage(decodeURIComponent(match[1]));
    if ((match = /^\/endpoint\/(.+)$/.exec(hash))) return endpointPage(decodeURIComponent(match[1]));
    if (hash === '/endpoints') return endpointsPage();
    return executionsPage();
  }

  function current(id) {
    document.getElementById(id).setAttribute('aria-current', 'page');
  }

  function executionsPage() {
    current('nav-executions');
    document.title = 'Executions · aep console';
    var endpointSelect = h('select', { id: 'filter-endpoint', onchange: function () {
      filters.endpoint = endpointSelect.value;
      draw();
    } });
    var statusSelect = h('select', { id: 'filter-status', onchange: function () {
      filters.status = statusSelect.value;
      draw();
    } }, ['', 'RUNNING', 'SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT'].map(function (s) {
      return h('option', { value: s, selected: filters.status === s }, s || 'any status');
    }));
    var body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
    main.replaceChildren(
      h('section', { 'aria-labelledby': 'executions-title' },
        h('h1', { id: 'executions-title' }, 'Executions'),
        h('div', { class: 'filters' }, h('label', {}, 'Endpoint', endpointSelect), h('label', {}, 'Status', statusSelect)),
        body),
    );
    var executions = [];
    function draw() {
      var endpoints = {};
      executions.forEach(function (e) {
        if (e.endpointName) endpoints[e.endpointName] = true;
      });
      var names = Object.keys(endpoints).sort();
      if (filters.endpoint && names.indexOf(filters.endpoint) < 0) names.push(filters.endpoint);
      endpointSelect.replaceChildren.apply(endpointSelect, [h('option', { value: '' }, 'all endpoints')].concat(names.map(function (n) {
        return h('option', { value: n, selected: filters.endpoint === n }, n);
      })));
      var shown = executions.filter(function (e) {
        return (!filters.endpoint || e.endpointName === filters.endpoint) && (!filters.status || e.status === filters.status);
      });
      if (!shown.length) {
        body.replaceChildren(h('p', { class: 'muted' }, executions.length ? 'No execution matches the filters.' : 'No executions yet. Upload a model.tar.gz to the models bucket, or run aep deploy --local.'));
        return;
      }
      body.replaceChildren(table(['Status', 'Execution', 'Endpoint', 'Model', 'Started', 'Duration', 'Error'], shown.map(function (e) {
        return h('tr', { 'data-execution': e.name, 'data-status': e.status },
          h('td', {}, window.AepView.statusBadge(e.status)),
          h('td', {}, h('a', { href: '#/execution/' + encodeURIComponent(e.executionArn) }, e.name)),
          h('td', {}, e.endpointName ? h('a', { href: '#/endpoint/' + encodeURIComponent(e.endpointName) }, e.endpointName) : '—'),
          h('td', {}, e.modelDataUrl ? h('code', {}, e.modelDataUrl.replace(/^s3:\/\/[^/]+\//, '')) : '—'),
          h('td', {}, time(e.startDate)),
          h('td', { class: 'num' }, seconds(e.durationSeconds)),
          h('td', { class: 'error-cell' }, e.error ? h('span', { title: e.cause || '' }, e.error) : ''));
      }), { class: 'executions' }));
    }
    poll(LIST_POLL_MS, function () {
      return api('executions').then(function (data) {
        executions = data.executions;
        draw();
        return true;
      });
    });
  }

  function executionPage(arn) {
    current('nav-executions');
    document.title = arn.split(':').pop() + ' · aep console';
    main.replaceChildren(h('p', {}, h('a', { href: '#/' }, '← Executions')), h('div', { id: 'execution' }, h('p', { class: 'muted' }, 'Loading…')));
    var root = document.getElementById('execution');
    var lastText;
    poll(EXECUTION_POLL_MS, function () {
      return api('execution?arn=' + encodeURIComponent(arn)).then(function (view) {
        var text = JSON.stringify(Object.assign({}, view, { generatedAt: '' }));
        if (text !== lastText) {
          lastText = text;
          // A re-render must not take the keyboard focus or the open sections away from the reader.
          var focused = document.activeElement && document.activeElement.getAttribute('data-state');
          var open = Array.prototype.map.call(root.querySelectorAll('details[open] > summary'), function (s) {
            return s.textContent;
          });
          window.AepView.renderExecution(root, view, { objectLink: objectLink, ui: executionUi });
          Array.prototype.forEach.call(root.querySelectorAll('details > summary'), function (s) {
            if (open.indexOf(s.textContent) >= 0) s.parentNode.open = true;
          });
          if (focused) {
            var node = root.querySelector('.state[data-state="' + CSS.escape(focused) + '"]');
            if (node) node.focus();
          }
        }
        return view.report.status === 'RUNNING';
      });
    });
  }

  function endpointsPage() {
    current('nav-endpoints');
    document.title = 'Endpoints · aep console';
    var body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
    main.replaceChildren(h('section', { 'aria-labelledby': 'endpoints-title' }, h('h1', { id: 'endpoints-title' }, 'Endpoints'), body));
    poll(LIST_POLL_MS, function () {
      return api('endpoints').then(function (data) {
        body.replaceChildren(data.endpoints.length
          ? table(['Endpoint', 'Status', 'Created', 'Modified'], data.endpoints.map(function (e) {
              return h('tr', {}, h('td', {}, h('a', { href: '#/endpoint/' + encodeURIComponent(e.name) }, e.name)), h('td', {}, e.status), h('td', {}, time(e.createdAt)), h('td', {}, time(e.modifiedAt)));
            }), { class: 'endpoints' })
          : h('p', { class: 'muted' }, 'No endpoints yet.'));
        return true;
      });
    });
  }

  function endpointPage(name) {
    current('nav-endpoints');
    document.title = name + ' · aep console';
    var body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
    main.replaceChildren(h('p', {}, h('a', { href: '#/endpoints' }, '← Endpoints')), body);
    var link = function (uri) {
      return window.AepView.uriLink(uri, { objectLink: objectLink });
    };
    poll(LIST_POLL_MS, function () {
      return api('endpoint?name=' + encodeURIComponent(name)).then(function (e) {
        var q = e.async.queue;
        body.replaceChildren(
          h('section', {},
            h('h1', {}, 'Endpoint ', h('span', { class: 'run-name' }, e.name), ' ', h('span', { class: 'badge badge-' + (e.status === 'InService' ? 'succeeded' : e.status === 'Failed' ? 'failed' : 'running') }, e.status)),
            h('dl', { class: 'kv' },
              h('dt', {}, 'Config'), h('dd', {}, e.endpointConfigName || '—'),
              h('dt', {}, 'Model'), h('dd', {}, (e.model.name || '—') + ' ', e.model.modelDataUrl ? link(e.model.modelDataUrl) : ''),
              h('dt', {}, 'Image'), h('dd', {}, h('code', {}, e.model.image || '—')),
              h('dt', {}, 'Instances'), h('dd', {}, (e.instanceType || '') + ' · current ' + (e.instances.current ?? '—') + ', desired ' + (e.instances.desired ?? '—')),
              h('dt', {}, 'Scaling'), h('dd', {}, e.scaling),
              h('dt', {}, 'Async queue'), h('dd', {}, 'queued ' + q.queued + ' · in flight ' + q.inFlight + ' · done ' + q.done + ' · failed ' + q.failed + ' (max ' + (e.async.maxConcurrentInvocationsPerInstance ?? '—') + ' per instance)'),
              e.failureReason ? [h('dt', {}, 'Failure'), h('dd', {}, e.failureReason)] : null)),
          h('section', {}, h('h2', {}, 'Recent async invocations'), e.invocations.length
            ? table(['At', 'Status', 'Inference id', 'Input', 'Output / failure'], e.invocations.map(function (i) {
                return h('tr', {}, h('td', {}, time(i.at)), h('td', {}, i.status), h('td', {}, h('code', {}, i.inferenceId)), h('td', {}, link(i.inputLocation)),
                  h('td', {}, i.outputLocation ? link(i.outputLocation) : '', i.failureLocation ? link(i.failureLocation) : '', i.failureReason ? ' ' + i.failureReason : ''));
              }))
            : h('p', { class: 'muted' }, 'No async notifications for this endpoint.')),
          h('section', {}, h('h2', {}, 'Deployments (audit records)'), e.deployments.length
            ? table(['Started', 'Verdict', 'Execution', 'Model', 'Config', 'Error'], e.deployments.map(function (d) {
                return h('tr', {}, h('td', {}, time(d.at)), h('td', {}, d.verdict),
                  h('td', {}, d.executionArn ? h('a', { href: '#/execution/' + encodeURIComponent(d.executionArn) }, d.executionName) : d.executionName),
                  h('td', {}, d.modelDataUrl ? h('code', {}, d.modelDataUrl.replace(/^s3:\/\/[^/]+\//, '')) : '—'), h('td', {}, d.endpointConfigName || '—'), h('td', { title: d.cause || '' }, d.error || ''));
              }))
            : h('p', { class: 'muted' }, 'No audit records yet.')),
          h('section', {}, h('h2', {}, 'Deployment events (SNS)'), e.deploymentEvents.length
            ? h('ul', {}, e.deploymentEvents.map(function (m) {
                return h('li', {}, time(m.at), ' ', m.subject || '', h('details', {}, h('summary', {}, 'message'), h('pre', {}, m.message)));
              }))
            : h('p', { class: 'muted' }, 'None.')),
        );
        return true;
      });
    });
  }

  window.addEventListener('hashchange', route);
  route();
})();
