/* chachong report: documents table, similarity matrix, document and pair views.
   Every piece of document data reaches the page through textContent or a data
   attribute, never through innerHTML, so no text from a document can become markup. */
(function () {
  'use strict';
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
    { k: 'top', label: '最大来源', en: 'top source', num: true },
    { k: 'stock', label: '套话占比', en: 'stock share', num: true },
    { k: 'placeholders', label: '占位符', en: 'placeholders', num: true }
  ];
  var PAGE = 100;
  var table = { key: 'copy', desc: true, page: 0, filter: '' };

  function sortValue(d, k) {
    if (k === 'top') { return d.top ? d.top[1] : -1; }
    return d[k];
  }

  function buildTable() {
    var host = document.getElementById('doc-table');
    if (!host) { return; }
    host.textContent = '';
    var pager = el('div', 'pager');
    var input = el('input');
    input.type = 'search';
    input.placeholder = '按标题或编号筛选 filter by title or id';
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
    COLS.forEach(function (c) {
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
        return !f || d.id.toLowerCase().indexOf(f) >= 0 || d.title.toLowerCase().indexOf(f) >= 0;
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
        tr.appendChild(tt);
        tr.appendChild(el('td', 'num', d.chars));
        ratioCell(tr.appendChild(el('td')), d.copy);
        ratioCell(tr.appendChild(el('td')), d.copy_x);
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

  /* ---------- marked text: copied (red), stock (yellow), boilerplate (grey) ---------- */
  function renderMarked(container, text, marks, decorate, byLine) {
    var n = text.length;
    var list = marks.filter(function (m) {
      m.s = Math.max(0, Math.min(n, m.s)); m.e = Math.max(0, Math.min(n, m.e));
      return m.e > m.s;
    });
    var cuts = [0, n];
    list.forEach(function (m) { cuts.push(m.s, m.e); });
    if (byLine) {
      // one element per line inside long passages, so a click can land on the matching line of the twin
      for (var nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', nl + 1)) { cuts.push(nl + 1); }
    }
    cuts.sort(function (a, b) { return a - b; });
    list.sort(function (x, y) { return x.s - y.s || x.e - y.e; });
    var frag = document.createDocumentFragment();
    var active = [], k = 0, last = -1;
    for (var c = 0; c < cuts.length - 1; c++) {
      var s = cuts[c], e = cuts[c + 1];
      if (e <= s || s === last) { continue; }
      last = s;
      while (k < list.length && list[k].s <= s) { active.push(list[k]); k++; }
      active = active.filter(function (m) { return m.e > s; });
      var piece = text.slice(s, e);
      if (!active.length) { frag.appendChild(document.createTextNode(piece)); continue; }
      var span = el('span', null, piece);
      decorate(span, active, s);
      frag.appendChild(span);
    }
    container.appendChild(frag);
  }

  function classesOf(active) {
    var seen = {}, out = [];
    active.forEach(function (m) { if (!seen[m.cls]) { seen[m.cls] = 1; out.push(m.cls); } });
    return out;
  }

  function unpack(flat) {
    // [gap, length, gap, length, ...] with gaps from the previous end (html.py pack)
    var out = [], end = 0;
    for (var i = 0; i + 1 < flat.length; i += 2) {
      var s = end + flat[i];
      end = s + flat[i + 1];
      out.push([s, end]);
    }
    return out;
  }

  function standardMarks(id) {
    var m = D.marks[id] || {};
    var out = [];
    unpack(m.stock || []).forEach(function (iv) { out.push({ s: iv[0], e: iv[1], cls: 'sk', title: '套话 stock phrasing' }); });
    (m.boiler || []).forEach(function (iv) {
      out.push({ s: iv[0], e: iv[1], cls: 'bp', title: '模板残留 boilerplate: ' + iv[2] });
    });
    return out;
  }

  function legend(items) {
    var lg = el('div', 'legend');
    items.forEach(function (it) {
      var s = el('span');
      s.appendChild(el('i', it[0]));
      s.appendChild(document.createTextNode(it[1]));
      lg.appendChild(s);
    });
    return lg;
  }

  function backLink() {
    var a = link('documents', '← 返回报告 back to the report');
    a.className = 'back';
    return a;
  }

  function textMissing(d) {
    return el('p', 'limits', '此文档全文未嵌入本页 The text of ' + d.id + ' is not embedded in this page: ' + D.limits.text_note);
  }

  /* ---------- document view ---------- */
  function showDoc(id) {
    var d = byId[id];
    view.textContent = '';
    view.appendChild(backLink());
    if (!d) { view.appendChild(el('p', 'limits', '本页未收录文档 ' + id + ' (document not listed in this page).')); return; }
    var h = el('h2', null, d.id + ' ' + d.title);
    view.appendChild(h);
    view.appendChild(el('p', 'meta', '来源 source: ' + d.source + ' (line ' + d.line + ') · ' + d.chars + ' 字 chars · ' +
      d.paragraphs + ' 段 paragraphs · 复制比 copy ratio ' + pct(d.copy) + ' · 去除套话 excl. stock ' + pct(d.copy_x) +
      ' · 套话 stock ' + pct(d.stock) + ' · 占位符 placeholders ' + d.placeholders));
    view.appendChild(el('h3', null, '来源文档（按复制比排序） Sources ranked by share'));
    if (d.sources.length) {
      var ol = el('ol', 'sources');
      d.sources.forEach(function (s) {
        var li = el('li');
        li.appendChild(hasView(d.id, s[0]) ? link(pairHash(d.id, s[0]), docLabel(s[0])) : docLink(s[0]));
        li.appendChild(document.createTextNode(' ' + pct(s[1])));
        if (hasView(d.id, s[0])) { li.appendChild(document.createTextNode(' · 对照 side by side')); }
        ol.appendChild(li);
      });
      view.appendChild(ol);
      if (d.sources_cut) { view.appendChild(el('p', 'note', '另有 ' + d.sources_cut + ' 个来源未列出 more sources not listed')); }
    } else {
      view.appendChild(el('p', 'note', '未发现复制 no copied passages found'));
    }
    view.appendChild(legend([['cp', '复制 copied (悬停看来源 hover for the source)'], ['sk', '套话 stock phrasing'],
      ['bp', '模板残留/占位符 boilerplate, placeholders']]));
    if (d.text === null) { view.appendChild(textMissing(d)); return; }
    var marks = standardMarks(id);
    ((D.marks[id] || {}).copied || []).forEach(function (src) {
      unpack(src[1]).forEach(function (iv) {
        marks.push({ s: iv[0], e: iv[1], cls: 'cp', title: '复制自 copied from ' + docLabel(src[0]), src: src[0] });
      });
    });
    var pre = el('pre', 'doctext');
    pre.id = 'doc-text';
    renderMarked(pre, D.texts[d.text], marks, function (span, active) {
      span.className = classesOf(active).join(' ');
      var titles = [], src = null;
      active.forEach(function (m) {
        if (titles.indexOf(m.title) < 0) { titles.push(m.title); }
        if (m.src && src === null) { src = m.src; }
      });
      span.title = titles.join('\n');
      if (src !== null) {
        span.setAttribute('data-src', src);
        span.addEventListener('click', function () {
          if (hasView(id, src)) { location.hash = pairHash(id, src); }
        });
      }
    });
    view.appendChild(pre);
  }

  /* ---------- pair view: side by side, twins share a colour, click to jump ---------- */
  function showPair(key) {
    var ab = key.split('~');
    var a = ab[0], b = ab[1];
    var p = pairIndex[key];
    var v = D.views[key];
    view.textContent = '';
    view.appendChild(backLink());
    view.appendChild(el('h2', null, docLabel(a) + '  ↔  ' + docLabel(b)));
    if (!p) { view.appendChild(el('p', 'limits', '这两篇文档之间未发现复制 no copying found between these documents.')); return; }
    var meta = el('p', 'meta');
    var kind = el('span', 'kind-' + p[5], KIND[p[5]] + ' ' + p[5]);
    meta.appendChild(kind);
    meta.appendChild(document.createTextNode(' · ' + a + ' 在 ' + b + ' 中 a_in_b ' + pct(p[2]) + ' · ' + b + ' 在 ' + a +
      ' 中 b_in_a ' + pct(p[3]) + ' · Jaccard ' + p[4].toFixed(3)));
    view.appendChild(meta);
    if (!v) {
      view.appendChild(el('p', 'limits', '对照页只为前 ' + D.limits.pair_limit + ' 对文档生成 side-by-side views are included ' +
        'for the top ' + D.limits.pair_limit + ' document pairs only.'));
      var links = el('p');
      links.appendChild(docLink(a)); links.appendChild(document.createTextNode(' · ')); links.appendChild(docLink(b));
      view.appendChild(links);
      return;
    }
    view.appendChild(el('p', 'note', v.spans.length + ' 段复制 copied passages · ' + (v.da.length + v.db.length) +
      ' 处差异已标出 differing runs marked · 点击段落跳到对应段落 click a passage to jump to its twin'));
    view.appendChild(legend([['cp c0', '复制（两侧同色） copied, same colour on both sides'], ['df', '段内差异 differs inside a copy'],
      ['sk', '套话 stock phrasing'], ['bp', '模板残留 boilerplate']]));
    var grid = el('div', 'pv');
    grid.id = 'pair-view';
    view.appendChild(grid);
    var segs = { a: {}, b: {} };
    var cols = {};
    [['a', a, 0, v.da], ['b', b, 2, v.db]].forEach(function (side) {
      var s = side[0], id = side[1], at = side[2], diffs = side[3];
      var col = el('div');
      var h = el('h3');
      h.appendChild(docLink(id));
      col.appendChild(h);
      var d = byId[id];
      grid.appendChild(col);
      if (!d || d.text === null) { col.appendChild(textMissing(d || { id: id })); return; }
      var marks = standardMarks(id);
      v.spans.forEach(function (sp, i) { marks.push({ s: sp[at], e: sp[at + 1], cls: 'cp', span: i }); });
      diffs.forEach(function (iv) { marks.push({ s: iv[0], e: iv[1], cls: 'df', title: EDIT[iv[2]] || String(iv[2]) }); });
      var pre = el('pre', 'doctext');
      pre.id = 'pv-' + s;
      cols[s] = pre;
      renderMarked(pre, D.texts[d.text], marks, function (span, active, start) {
        var spans = [], notes = [];
        active.forEach(function (m) {
          if (m.span !== undefined) { spans.push(m.span); } else if (m.title && notes.indexOf(m.title) < 0) { notes.push(m.title); }
        });
        var cls = classesOf(active);
        if (spans.length) {
          spans.sort(function (x, y) { return x - y; });
          var k = spans[0];
          cls.push('c' + (k % 6));
          span.setAttribute('data-passage', String(k));
          spans.forEach(function (i) { (segs[s][i] = segs[s][i] || []).push([start, span]); });
          var kind = v.spans[k][4] ? ' (' + (PASSAGE[v.spans[k][4]] || v.spans[k][4]) + ')' : '';
          notes.unshift('复制段落 passage ' + (k + 1) + kind + ' · 点击跳到对应位置 click to jump to its twin');
          span.addEventListener('click', function () { jump(s, k, start, span); });
        }
        span.title = notes.join('\n');
        span.className = cls.join(' ');
      }, true);
      col.appendChild(pre);
    });

    function jump(side, k, start, from) {
      var other = side === 'a' ? 'b' : 'a';
      var sp = v.spans[k];
      var here = side === 'a' ? 0 : 2, there = side === 'a' ? 2 : 0;
      var len = sp[here + 1] - sp[here], olen = sp[there + 1] - sp[there];
      // the same place in the twin: proportional inside the passage (exact for an exact copy)
      var target = sp[there] + (len > 0 ? Math.round((start - sp[here]) * olen / len) : 0);
      var list = segs[other][k];
      var col = cols[other];
      if (!list || !col) { return; }
      var twin = list[0][1];
      list.forEach(function (x) { if (x[0] <= target) { twin = x[1]; } });
      var top = twin.getBoundingClientRect().top - col.getBoundingClientRect().top;
      col.scrollTop += top - col.clientHeight / 3;
      var cr = col.getBoundingClientRect();
      if (cr.top < 0 || cr.bottom > window.innerHeight) { col.scrollIntoView({ block: 'nearest' }); }
      var before = col.querySelector('[data-jumped]');
      if (before) { before.removeAttribute('data-jumped'); }
      twin.setAttribute('data-jumped', '');
      [twin, from].forEach(function (e) { e.classList.add('flash'); });
      setTimeout(function () { [twin, from].forEach(function (e) { e.classList.remove('flash'); }); }, 1500);
    }
  }

  var EDIT = {
    'figure': '数字不同 figure differs', 'place': '地名不同 place name differs', 'replace': '改写 replaced',
    'insert': '插入 inserted', 'delete': '删除 deleted', 'changed': '不同 differs'
  };
  var PASSAGE = { 'exact': '原样复制 exact', 'template': '套用模板 template: figures or names changed', 'edited': '改写 edited' };

  /* ---------- routing: #doc=ID, #pair=A~B, or a section of the report ---------- */
  function route() {
    var h = location.hash.slice(1);
    try { h = decodeURIComponent(h); } catch (e) { h = ''; }
    if (h.indexOf('doc=') === 0 || h.indexOf('pair=') === 0) {
      main.hidden = true;
      view.hidden = false;
      if (h.indexOf('doc=') === 0) { showDoc(h.slice(4)); } else { showPair(h.slice(5)); }
      window.scrollTo(0, 0);
      return;
    }
    view.hidden = true;
    view.textContent = '';
    main.hidden = false;
    var t = h ? document.getElementById(h) : null;
    if (t) { t.scrollIntoView(); }
  }

  buildTable();
  buildMatrix();
  window.addEventListener('hashchange', route);
  route();
}());
