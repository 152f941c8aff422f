/* chachong report, part 2 of 2: marked text, the document, pair and one-page summary views,
   routing (#doc=, #pair=, #sheet=, a section as a tab) and printing. Shares report.js's scope. */
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

  var CLASS_TITLE = { reference: '类别：引用文献 class: reference (copied from a reference text)',
    quoted: '类别：引文 class: quoted (inside quote marks)', own: '类别：本单位 class: own (the same unit\'s document)' };

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
    if (d.ocr !== undefined) { h.appendChild(document.createTextNode(' ')); h.appendChild(ocrMark(d)); }
    view.appendChild(h);
    view.appendChild(el('p', 'meta', '来源 source: ' + d.source + ' (line ' + d.line + ') · ' + d.chars + ' 字 chars · ' +
      d.paragraphs + ' 段 paragraphs · 复制比 copy ratio ' + pct(d.copy) + ' · 去除套话 excl. stock ' + pct(d.copy_x) +
      ' · 套话 stock ' + pct(d.stock) + ' · 占位符 placeholders ' + d.placeholders));
    var sl = el('p', 'meta');
    sl.appendChild(link('sheet=' + encodeURIComponent(d.id), '检测报告单（一页，可打印） one-page summary to print →'));
    view.appendChild(sl);
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
    view.appendChild(legend([['cp', '复制 copied (悬停看来源 hover for the source)'],
      ['cp cl-reference', '引用文献 reference text'], ['cp cl-quoted', '引文 quoted'], ['cp cl-own', '本单位往年 own'],
      ['sk', '套话 stock phrasing'], ['bp', '模板残留/占位符 boilerplate, placeholders']]));
    if (d.text === null) { view.appendChild(textMissing(d)); return; }
    var marks = standardMarks(id);
    ((D.marks[id] || {}).copied || []).forEach(function (src) {
      unpack(src[1]).forEach(function (iv) {
        marks.push({ s: iv[0], e: iv[1], cls: 'cp', title: '复制自 copied from ' + docLabel(src[0]), src: src[0] });
      });
    });
    ((D.marks[id] || {}).classes || []).forEach(function (c) {
      unpack(c[1]).forEach(function (iv) { marks.push({ s: iv[0], e: iv[1], cls: 'cl-' + c[0], title: CLASS_TITLE[c[0]] }); });
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

  function printButton() {
    var b = el('button', 'print', '打印 / 存为 PDF print');
    b.type = 'button';
    b.addEventListener('click', function () { window.print(); });
    return b;
  }

  /* ---------- one-page summary (检测报告单): figures, sources ranked, copied passages ---------- */
  function sheetRow(tr, cells, num) {
    cells.forEach(function (c, i) {
      var td = el(tr.parentNode && tr.parentNode.tagName === 'THEAD' ? 'th' : 'td', num && num.indexOf(i) >= 0 ? 'num' : null);
      if (c instanceof Node) { td.appendChild(c); } else { td.textContent = String(c); }
      tr.appendChild(td);
    });
    return tr;
  }
  function sheetTable(id, head, rows, num) {
    var t = el('table', 'sheet-table');
    t.id = id;
    var th = t.appendChild(el('thead'));
    sheetRow(th.appendChild(el('tr')), head, num);
    var tb = t.appendChild(el('tbody'));
    rows.forEach(function (r) { sheetRow(tb.appendChild(el('tr')), r, num); });
    return t;
  }

  function showSheet(id) {
    var d = byId[id];
    view.textContent = '';
    var bar = el('div', 'sheet-bar');
    bar.appendChild(backLink());
    bar.appendChild(printButton());
    view.appendChild(bar);
    if (!d) { view.appendChild(el('p', 'limits', '本页未收录文档 ' + id + ' (document not listed in this page).')); return; }
    var sheet = el('div', 'sheet');
    sheet.id = 'sheet';
    view.appendChild(sheet);
    sheet.appendChild(el('h2', null, '文本复制检测报告单 · Copy check of one document'));
    var title = el('p', 'sheet-title');
    title.appendChild(docLink(d.id));
    if (d.ocr !== undefined) { title.appendChild(document.createTextNode(' ')); title.appendChild(ocrMark(d)); }
    sheet.appendChild(title);
    sheet.appendChild(el('p', 'meta', '来源 source: ' + d.source + ' (line ' + d.line + ') · ' + d.chars + ' 字 characters · ' +
      d.paragraphs + ' 段 paragraphs · ' + D.generator));
    var top = d.top ? docLabel(d.top[0]) + ' ' + pct(d.top[1]) : '—';
    sheet.appendChild(sheetTable('sheet-figures', ['文字复制比 copy ratio', '去除套话复制比 excl. stock', '单篇最大 top source',
      '复制字数 copied', '总字数 characters', '套话占比 stock share'],
      [[pct(d.copy), pct(d.copy_x), top, d.copied_chars, d.chars, pct(d.stock)]], [0, 1, 3, 4, 5]));
    sheet.appendChild(sheetTable('sheet-classes', ['去除引用文献复制比 excl. quotes', '去除本人文献复制比 excl. own',
      '净复制比 net', '本人复制 own', '单位 unit', '年度 year'],
      [[pct(d.copy_q), pct(d.copy_o), pct(d.copy_n), pct(d.own), d.unit || '—',
        d.year === null || d.year === undefined ? '—' : String(d.year)]], [0, 1, 2, 3, 5]));
    sheet.appendChild(el('h3', null, '相似文献（按复制比排序） Sources, ranked by the share of this document each covers'));
    if (d.sources.length) {
      sheet.appendChild(sheetTable('sheet-sources', ['#', '文档 document', '复制比 share'], d.sources.map(function (s, i) {
        return [i + 1, hasView(d.id, s[0]) ? link(pairHash(d.id, s[0]), docLabel(s[0])) : docLink(s[0]), pct(s[1])];
      }), [0, 2]));
      if (d.sources_cut) { sheet.appendChild(el('p', 'note', '另有 ' + d.sources_cut + ' 个来源 more sources in report.json')); }
    } else {
      sheet.appendChild(el('p', 'note', '未发现复制 no copied passages found'));
    }
    var frags = (D.marks[id] || {}).frag || [];
    sheet.appendChild(el('h3', null, '复制片段 Copied passages (片段) · ' + frags.length));
    if (frags.length && d.text !== null) {
      var text = D.texts[d.text];
      sheet.appendChild(sheetTable('sheet-fragments', ['#', '位置 where', '字数 chars', '来源 found in', '原文 text'],
        frags.map(function (f, i) {
          var piece = text.slice(f[0], f[1]).replace(/\s+/g, ' ');
          return [i + 1, '第 ' + f[2] + ' 行 line · ' + f[0] + '–' + f[1], f[1] - f[0], f[3].join(' '),
            piece.length > 48 ? piece.slice(0, 47) + '…' : piece];
        }), [0, 2]));
    } else if (d.copy > 0) {
      sheet.appendChild(textMissing(d));
    }
    sheet.appendChild(el('p', 'note', '文字复制比 = 复制字数 ÷ 总字数；复制片段是与其他文档相同的连续文字（至少 ' + D.min_span +
      ' 个字完全相同）。套话（多篇互不相关的文档共用的说法）不算复制时为“去除套话复制比”。 copy ratio = copied characters ÷ ' +
      'characters; a copied passage has at least ' + D.min_span + ' matching characters; stock phrasing left out gives the ' +
      'ratio excluding stock.'));
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

  /* ---------- routing: #doc=ID, #pair=A~B, #sheet=ID, or a section of the report (a tab) ---------- */
  var SECTIONS = Array.prototype.filter.call(main.children, function (e) { return e.tagName === 'SECTION'; });
  main.classList.add('tabs');

  function showSection(id) {
    SECTIONS.forEach(function (s) { s.classList.toggle('active', s.id === id); });
    Array.prototype.forEach.call(document.querySelectorAll('nav a'), function (a) {
      a.classList.toggle('active', a.getAttribute('href') === '#' + id);
    });
  }

  function route() {
    var h = location.hash.slice(1);
    try { h = decodeURIComponent(h); } catch (e) { h = ''; }
    var m = /^(doc|pair|sheet)=(.*)$/.exec(h);
    if (m) {
      main.hidden = true;
      view.hidden = false;
      ({ doc: showDoc, pair: showPair, sheet: showSheet })[m[1]](m[2]);
      window.scrollTo(0, 0);
      return;
    }
    view.hidden = true;
    view.textContent = '';
    main.hidden = false;
    // a section opens as the page's only one, at the top: a link to it shows it, in any browser
    var t = h ? document.getElementById(h) : null;
    var sec = t ? SECTIONS.filter(function (s) { return s === t || s.contains(t); })[0] : null;
    showSection(sec ? sec.id : SECTIONS[0].id);
    if (t && sec && t !== sec) { t.scrollIntoView(); } else { window.scrollTo(0, 0); }
  }

  /* ---------- print: every section and every folded part, on paper ---------- */
  var unfolded = [];
  window.addEventListener('beforeprint', function () {
    unfolded = Array.prototype.filter.call(document.querySelectorAll('details'), function (d) { return !d.open; });
    unfolded.forEach(function (d) { d.open = true; });
  });
  window.addEventListener('afterprint', function () {
    unfolded.forEach(function (d) { d.open = false; });
    unfolded = [];
  });
  var nav = document.querySelector('nav');
  if (nav) { nav.appendChild(printButton()); }
  Array.prototype.forEach.call(document.querySelectorAll('#ranked tbody tr'), function (tr) {
    tr.addEventListener('click', function (ev) {
      if (!ev.target.closest('a')) { location.hash = 'doc=' + encodeURIComponent(tr.getAttribute('data-id')); }
    });
  });

  buildTable();
  buildMatrix();
  window.addEventListener('hashchange', route);
  route();
