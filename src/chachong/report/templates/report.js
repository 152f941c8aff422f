/* chachong report, part 1 of 2: data, documents table, similarity matrix. html.py joins
   report.js and views.js into the page's one script (one scope, inside a function, strict).
   Every piece of document data reaches the page through textContent or a data
   attribute, never through innerHTML, so no text from a document can become markup. */
  var D = JSON.parse(document.getElementById('chachong-data').textContent);
  var byId = {};
  D.docs.forEach(function (d) { byId[d.id] = d; });
  var pairIndex = {};
  D.pairs.forEach(function (p) { pairIndex[p[0] + '~' + p[1]] = p; });
  var main = document.getElementById('main');
  var view = document.getElementById('view');

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function pct(x) { return (x * 100).toFixed(1) + '%'; }
  function pairKey(a, b) { return a < b ? a + '~' + b : b + '~' + a; }
  function docLabel(id) { var d = byId[id]; return d ? id + ' ' + d.title : id; }
  /* a document read by OCR: recognition errors lower its copy ratios, so its confidence is shown */
  function ocrMark(d) {
    var m = el('span', 'ocr', 'OCR ' + d.ocr.toFixed(2));
    m.title = '文字由 OCR 识别，平均置信度 ' + d.ocr.toFixed(2) + ' · read by OCR, mean recognition confidence ' +
      d.ocr.toFixed(2) + ': recognition errors lower copy ratios';
    return m;
  }
  function link(hash, text) { var a = el('a', null, text); a.href = '#' + hash; return a; }
  function docLink(id) { return link('doc=' + encodeURIComponent(id), docLabel(id)); }
  function pairHash(a, b) { return 'pair=' + encodeURIComponent(pairKey(a, b)); }
  function hasView(a, b) { return Object.prototype.hasOwnProperty.call(D.views, pairKey(a, b)); }
  function ratioCell(td, x, cls) {
    td.textContent = pct(x);
    td.className = 'num bar' + (cls ? ' ' + cls : '');
    td.style.setProperty('--w', Math.round(Math.max(0, Math.min(1, x)) * 100) + '%');
  }

  /* ---------- documents table: sortable, filtered, paged ---------- */
  var COLS = [
    { k: 'id', label: '编号', en: 'id' },
    { k: 'title', label: '标题', en: 'title' },
    { k: 'chars', label: '字数', en: 'chars', num: true },
    { k: 'copy', label: '复制比', en: 'copy ratio', num: true },
    { k: 'copy_x', label: '去除套话复制比', en: 'excl. stock', num: true },
    { k: 'copy_q', label: '去除引用复制比', en: 'excl. quotes', num: true },
    { k: 'copy_o', label: '去除本人复制比', en: 'excl. own', num: true, meta: true },
    { k: 'copy_n', label: '净复制比', en: 'net', num: true, meta: true },
    { k: 'own', label: '本人复制', en: 'own', num: true, meta: true },
    { k: 'unit', label: '单位', en: 'unit', meta: true },
    { k: 'year', label: '年度', en: 'year', num: true, meta: true },
    { k: 'top', label: '最大来源', en: 'top source', num: true },
    { k: 'stock', label: '套话占比', en: 'stock share', num: true },
    { k: 'placeholders', label: '占位符', en: 'placeholders', num: true }
  ];
  /* own reuse needs units: without metadata those columns would only repeat the others */
  var META = D.docs.some(function (d) { return d.unit || (d.year !== null && d.year !== undefined); });
  var SHOWN = COLS.filter(function (c) { return META || !c.meta; });
  var PAGE = 100;
  var table = { key: 'copy', desc: true, page: 0, filter: '' };

  function sortValue(d, k) {
    if (k === 'top') { return d.top ? d.top[1] : -1; }
    if (k === 'unit') { return d.unit || ''; }
    if (k === 'year') { return d.year === null || d.year === undefined ? -1 : d.year; }
    return d[k];
  }

  function buildTable() {
    var host = document.getElementById('doc-table');
    if (!host) { return; }
    host.textContent = '';
    var pager = el('div', 'pager');
    var input = el('input');
    input.type = 'search';
    input.placeholder = '按标题、编号或单位筛选 filter by title, id or unit';
    input.value = table.filter;
    var prev = el('button', null, '上一页 prev');
    var next = el('button', null, '下一页 next');
    var info = el('span', 'note');
    pager.appendChild(input); pager.appendChild(prev); pager.appendChild(info); pager.appendChild(next);
    host.appendChild(pager);
    var t = el('table', 'sortable rows');
    t.id = 'documents-table';
    var thead = el('thead');
    var hr = el('tr');
    SHOWN.forEach(function (c) {
      var th = el('th', c.num ? 'num' : null, c.label + ' ');
      th.appendChild(el('small', null, c.en));
      th.setAttribute('data-key', c.k);
      th.addEventListener('click', function () {
        if (table.key === c.k) { table.desc = !table.desc; } else { table.key = c.k; table.desc = !!c.num; }
        table.page = 0;
        fill();
      });
      hr.appendChild(th);
    });
    thead.appendChild(hr);
    t.appendChild(thead);
    var tbody = el('tbody');
    t.appendChild(tbody);
    host.appendChild(t);

    function rows() {
      var f = table.filter.trim().toLowerCase();
      var list = D.docs.filter(function (d) {
        return !f || d.id.toLowerCase().indexOf(f) >= 0 || d.title.toLowerCase().indexOf(f) >= 0 ||
          (d.unit || '').toLowerCase().indexOf(f) >= 0 || (d.top_cls || '') === f;
      });
      var k = table.key, sign = table.desc ? -1 : 1;
      var idx = list.map(function (d, i) { return [d, i]; });
      idx.sort(function (x, y) {
        var a = sortValue(x[0], k), b = sortValue(y[0], k);
        if (a < b) { return -sign; }
        if (a > b) { return sign; }
        return x[1] - y[1];
      });
      return idx.map(function (x) { return x[0]; });
    }

    function fill() {
      var list = rows();
      var pages = Math.max(1, Math.ceil(list.length / PAGE));
      table.page = Math.min(table.page, pages - 1);
      info.textContent = '第 ' + (table.page + 1) + ' / ' + pages + ' 页 page · ' + list.length + ' 篇 documents';
      prev.disabled = table.page === 0;
      next.disabled = table.page >= pages - 1;
      Array.prototype.forEach.call(hr.children, function (th) {
        var k = th.getAttribute('data-key');
        th.className = (th.className.indexOf('num') >= 0 ? 'num ' : '') +
          (k === table.key ? (table.desc ? 'desc' : 'asc') : '');
      });
      tbody.textContent = '';
      list.slice(table.page * PAGE, (table.page + 1) * PAGE).forEach(function (d) {
        var tr = el('tr');
        tr.setAttribute('data-id', d.id);
        tr.title = d.source;
        tr.appendChild(el('td', null, d.id));
        var tt = el('td');
        tt.appendChild(link('doc=' + encodeURIComponent(d.id), d.title));
        if (d.ocr !== undefined) { tt.appendChild(document.createTextNode(' ')); tt.appendChild(ocrMark(d)); }
        tr.appendChild(tt);
        tr.appendChild(el('td', 'num', d.chars));
        ratioCell(tr.appendChild(el('td')), d.copy);
        ratioCell(tr.appendChild(el('td')), d.copy_x);
        ratioCell(tr.appendChild(el('td')), d.copy_q, 'cl-quoted-bar');
        if (META) {
          ratioCell(tr.appendChild(el('td')), d.copy_o, 'cl-own-bar');
          ratioCell(tr.appendChild(el('td')), d.copy_n);
          ratioCell(tr.appendChild(el('td')), d.own, 'cl-own-bar');
          tr.appendChild(el('td', null, d.unit || '—'));
          tr.appendChild(el('td', 'num', d.year === null || d.year === undefined ? '—' : String(d.year)));
        }
        var ts = el('td');
        if (d.top) {
          var a = hasView(d.id, d.top[0]) ? link(pairHash(d.id, d.top[0]), docLabel(d.top[0]))
            : link('doc=' + encodeURIComponent(d.top[0]), docLabel(d.top[0]));
          ts.appendChild(a);
          ts.appendChild(document.createTextNode(' ' + pct(d.top[1])));
        } else { ts.textContent = '—'; }
        tr.appendChild(ts);
        ratioCell(tr.appendChild(el('td')), d.stock, 'stockbar');
        tr.appendChild(el('td', 'num', d.placeholders));
        tr.addEventListener('click', function (ev) {
          if (ev.target.closest('a')) { return; }
          location.hash = 'doc=' + encodeURIComponent(d.id);
        });
        tbody.appendChild(tr);
      });
    }
    input.addEventListener('input', function () { table.filter = input.value; table.page = 0; fill(); });
    prev.addEventListener('click', function () { table.page -= 1; fill(); });
    next.addEventListener('click', function () { table.page += 1; fill(); });
    fill();
  }

  /* ---------- similarity matrix (canvas) ---------- */
  function heat(v) {
    // white -> red on a square-root scale: 1 % is a faint tint, 25 % half way, 100 % full red
    var t = v <= 0 ? 0 : Math.sqrt(Math.min(1, v));
    var r = Math.round(255 + (201 - 255) * t), g = Math.round(255 + (42 - 255) * t), b = Math.round(255 + (42 - 255) * t);
    return 'rgb(' + r + ',' + g + ',' + b + ')';
  }

  function buildMatrix() {
    var canvas = document.getElementById('matrix-canvas');
    var tip = document.getElementById('matrix-tip');
    var order = D.order;
    var n = order.length;
    if (!canvas || !n) { return; }
    var cell = Math.max(3, Math.min(28, Math.floor(960 / n)));
    var off = n <= 60 ? 46 : 0;
    var size = off + n * cell;
    var ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(size * ratio);
    canvas.height = Math.round(size * ratio);
    canvas.style.width = size + 'px';
    canvas.style.height = size + 'px';
    canvas.setAttribute('data-order', order.join(' '));
    canvas.setAttribute('data-cell', String(cell));
    canvas.setAttribute('data-offset', String(off));
    var ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, size, size);
    var pos = {};
    order.forEach(function (id, i) { pos[id] = i; });
    var vals = {};
    D.pairs.forEach(function (p) {
      var i = pos[p[0]], j = pos[p[1]];
      if (i === undefined || j === undefined) { return; }
      vals[i + ',' + j] = p[2];
      vals[j + ',' + i] = p[3];
    });
    for (var i = 0; i < n; i++) {
      ctx.fillStyle = '#adb5bd';
      ctx.fillRect(off + i * cell, off + i * cell, cell, cell);
    }
    Object.keys(vals).forEach(function (k) {
      var ij = k.split(',');
      ctx.fillStyle = heat(vals[k]);
      ctx.fillRect(off + (+ij[1]) * cell, off + (+ij[0]) * cell, cell, cell);
    });
    if (cell >= 8) {
      ctx.strokeStyle = '#f1f3f5';
      ctx.lineWidth = 1;
      for (var g = 0; g <= n; g++) {
        ctx.beginPath(); ctx.moveTo(off + g * cell + 0.5, off); ctx.lineTo(off + g * cell + 0.5, size); ctx.stroke();
        ctx.beginPath(); ctx.moveTo(off, off + g * cell + 0.5); ctx.lineTo(size, off + g * cell + 0.5); ctx.stroke();
      }
    }
    if (off) {
      ctx.fillStyle = '#495057';
      ctx.font = Math.min(12, cell) + 'px sans-serif';
      ctx.textBaseline = 'middle';
      ctx.textAlign = 'right';
      order.forEach(function (id, i) { ctx.fillText(id, off - 4, off + i * cell + cell / 2); });
      ctx.save();
      ctx.textAlign = 'left';
      order.forEach(function (id, i) {
        ctx.save();
        ctx.translate(off + i * cell + cell / 2, off - 4);
        ctx.rotate(-Math.PI / 2);
        ctx.fillText(id, 0, 0);
        ctx.restore();
      });
      ctx.restore();
    }

    function at(ev) {
      var r = canvas.getBoundingClientRect();
      var x = ev.clientX - r.left - off, y = ev.clientY - r.top - off;
      if (x < 0 || y < 0) { return null; }
      var c = Math.floor(x / cell), rr = Math.floor(y / cell);
      if (c >= n || rr >= n) { return null; }
      return { row: order[rr], col: order[c], i: rr, j: c };
    }
    canvas.addEventListener('mousemove', function (ev) {
      var h = at(ev);
      if (!h) { tip.hidden = true; return; }
      var lines = ['行 row: ' + docLabel(h.row), '列 column: ' + docLabel(h.col)];
      if (h.row === h.col) {
        lines.push('点击打开文档 click to open the document');
      } else {
        var p = pairIndex[pairKey(h.row, h.col)];
        if (p) {
          var rowIn = h.row === p[0] ? p[2] : p[3], colIn = h.row === p[0] ? p[3] : p[2];
          lines.push(KIND[p[5]] + ' ' + p[5]);
          lines.push('行在列中 row in column: ' + pct(rowIn) + ' · 列在行中 column in row: ' + pct(colIn));
          lines.push('Jaccard ' + p[4].toFixed(3));
          lines.push(hasView(h.row, h.col) ? '点击查看对照 click for the side-by-side view'
            : '对照页未收录（仅前 ' + D.limits.pair_limit + ' 对） no side-by-side view beyond the top pairs');
        } else {
          lines.push('无共同段落 no shared passages');
        }
      }
      tip.textContent = lines.join('\n');
      tip.hidden = false;
      // fixed to the viewport, so the scrolling matrix box never clips it; kept inside the window
      var w = tip.offsetWidth, h = tip.offsetHeight;
      var left = ev.clientX + 14, top = ev.clientY + 14;
      if (left + w > window.innerWidth - 4) { left = Math.max(4, ev.clientX - w - 14); }
      if (top + h > window.innerHeight - 4) { top = Math.max(4, ev.clientY - h - 14); }
      tip.style.left = left + 'px';
      tip.style.top = top + 'px';
    });
    canvas.addEventListener('mouseleave', function () { tip.hidden = true; });
    canvas.addEventListener('click', function (ev) {
      var h = at(ev);
      if (!h) { return; }
      tip.hidden = true;
      if (h.row !== h.col && hasView(h.row, h.col)) { location.hash = pairHash(h.row, h.col); }
      else { location.hash = 'doc=' + encodeURIComponent(h.row); }
    });
  }

  var KIND = { 'identical': '完全相同', 'near-duplicate': '近似重复', 'partial': '部分复制' };
