"""The batch audit on Dask distributed: the local pipeline's stages as tasks over partitions.

``audit_dask(paths, config, scheduler="tcp://host:8786")`` gives the same :class:`~chachong.result.AuditRecord`
(and so the same ``report.json``, byte for byte) as :func:`chachong.engine.local.audit`; it only
changes *where* the work runs. Every rule of a stage is a public function of its module in
:mod:`chachong.stages`, called here on one batch (a partition, a bucket of a shuffle, the rows
routed to one partition) and merged where the stage needs all the data; this package only
partitions, shuffles, routes and merges. Dask is imported by this package alone, so the local
engine never loads it.

How the corpus moves (P partitions of whole documents, about ``partition_paragraphs`` each: by default
``partitions.partition_size``, 40,000 or fewer for two partitions a worker):

1. **read**: one task lists each given path, one task per file reads and splits it
   (``stages.load.load_documents``); ids are renumbered to their global order
   (``ingest.renumber``). See :mod:`.partitions`.
2. **sign**: one task per partition runs ``stages.prepare.prepare`` on its documents. The
   prepared arrays (canonical code points, shingle sets, signatures) stay on that worker for
   the whole audit; only rows of numbers and the payloads of candidate pairs leave it.
3. **pair** (:mod:`.pairing`): rows keyed by text digest and LSH band key, and rows of sampled
   fingerprints, are shuffled on their keys (two shuffles, bucket j of both to one task); each
   bucket applies the candidate rules of ``stages.candidates``
   (``text_groups``, ``lsh.band_pairs``, ``fingerprint_runs``/``fingerprint_pairs``). Candidates
   are routed to the owners of their paragraphs for ``passes_estimate``/``shares_enough``; the
   client runs ``expand`` and ``unverified``; the survivors are routed again and verified
   (``verify.similarity``, ``classify``, ``kinds_of``); the client merges them with ``pair_table``.
4. **cluster**: document Jaccards of the linked document pairs are routed the same way (a
   MinHash estimate kept by ``docpairs.may_reach``, then ``docpairs.exact_jaccard``); the
   stock-paragraph rule and the clusters run on the client (``stages.cluster.stock_plan``).
5. **align** (:mod:`.aligning`): each partition's winnowed fingerprints
   (``fingerprints.winnow_text``) are shuffled on their hash; each bucket runs
   ``fingerprints.common_runs`` and ``seeds.occurrence_pairs``, the client ``seeds.merge_common``.
   Occurrence pairs are routed to both documents' owners for ``seeds.exact_evidence`` and
   ``seeds.seed_rows``; the seed hits stay with the owner of their later document, which aligns
   every document pair whose later document it owns (``aligning.align_block``: ``docpairs.short_twins``,
   ``passages.find_passages``, ``describe.describe_pair``, ``docstats.paragraph_pairs``,
   ``docstats.document_stats``) on a corpus of just the documents it needs; the earlier documents
   it lacks come from their owners once each (``aligning.export_documents``), not once per pair.
6. **documents**: the client merges the per-pair results: ``describe.number_passages``,
   ``docstats.merge_figures`` (copy ratios per document), ``docpairs.identical_documents`` on the
   partitions' ``document_digests``, and runs ``stages.stock.annotate_stock`` and
   ``stages.attribution.annotate_attribution`` on the result, with what the workers made of the texts
   (which documents hold writing, ``partitions.quotes``) rather than reading the texts back.

The client holds the documents' outlines (``partitions.outlines``: ids, titles, paths, paragraph
offsets, no texts), the verified pair table and per-document results; never signatures or shingle
sets. Stock phrases are mined while the others align, by partition and merged (:mod:`.phrasing`),
as is boilerplate: no task receives every text. The record's documents are a
:class:`~chachong.model.LazyDocuments`: while the workers align, each partition's texts are fetched
in turn by a thread and written to an unnamed temporary file in the work folder (``runtime.textfile``;
:meth:`Engine.start_documents`), and a document's
text is read back when a stage or a report writer reads that document. The client never holds the
corpus's texts; readers of ids, titles and offsets use the outlines (``model.outlines``,
``model.text_lengths``, ``AuditRecord.record(..., text=False)``) and read none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from chachong.config import AuditConfig
from chachong.engine.dask import aligning, pairing, phrasing
from chachong.engine.dask.aligning import OCC_WITH_A, OCCURRENCES, BlockResult, fingerprint_schema
from chachong.engine.dask.cluster import connect, require_dask
from chachong.engine.dask.pairing import (CANDIDATES, DOC_REQ, DOC_WITH_A, FILTER_A, IDENT, LSH_PAIR, MEMBER,
                                          REP_PASSED, REQUEST, VERIFY_A, pair_schema, sample_schema)
from chachong.engine.dask.partitions import (cut, frame, list_input, make_part, meta_with_blobs, outlines,
                                             paragraph_counts, partition_size, quotes, read_file, skips_and_warnings,
                                             take, texts)
from chachong.model import Document, LazyDocuments, Skipped
from chachong.stages.candidates import KINDS, PairTable, expand, lsh_bands, pair_table, unverified
from chachong.stages.cluster import StockPlan, stock_plan
from chachong.stages.docpairs import identical_documents
from chachong.stages.fingerprints import window
from chachong.stages.seeds import merge_common

Progress = Callable[[str], None]

# up to this many partitions the large shuffles are Dask's task shuffle (Engine.shuffle_method)
TASK_SHUFFLE_PARTITIONS = 64


class Engine:
    """One audit on one client: the partitions (futures) and the stage drivers."""

    def __init__(self, client, config: AuditConfig, partition_paragraphs: int | None,
                 stats: dict | None = None) -> None:
        self.client = client
        self.config = config
        self.target = max(1, int(partition_paragraphs)) if partition_paragraphs is not None else None
        self.stats = stats if stats is not None else {}
        self._fetching: tuple[Any, list] | None = None  # the texts' fetch (start_documents)
        self._quotes: list = []  # the documents' quote spans, made with the texts' fetch

    # ---- 1. read and 2. sign ----

    def read(self, inputs: Sequence[Any], indexed: Sequence[Document] = ()) -> tuple[list[Skipped], list[str]]:
        """List and read the inputs on the workers; skipped inputs and warnings in the local engine's order.

        The reference texts come first (``stages.load.with_references``): the files of
        ``config.references`` read on the workers, then ``indexed`` (those of its indexes).
        """
        client, cfg = self.client, self.config
        if inputs and all(isinstance(x, Document) for x in inputs):
            from chachong.stages.load import with_references

            docs_in, skipped, warnings = with_references(list(inputs), [], [], cfg, indexed)
            reads = [client.scatter((docs_in, [], []))] if docs_in else []
            renumber = False
            self._ref_files = 0
        else:
            from chachong.stages.load import load_documents

            load_documents([], cfg)  # a setting no file can be read with fails here, once, as locally
            # reference texts first (ids r01..., see stages.load.with_references)
            from chachong.stages.load import reference_files

            ref_files = reference_files(cfg) if cfg.references else []
            listed = client.gather([client.submit(list_input, p, cfg.encoding, pure=False)
                                    for p in [*ref_files, *inputs]])
            files: list[str] = []
            order: list[tuple[str, Any]] = []  # ("skip", Skipped) or ("file", index) in read_sources' order
            seen: set[str] = set()
            self._ref_files = 0
            for n, (found, skips) in enumerate(listed):
                if n == len(ref_files):
                    self._ref_files = len(files)
                order.extend(("skip", s) for s in skips)
                for f, real in found:
                    if real in seen:
                        continue
                    seen.add(real)
                    order.append(("file", len(files)))
                    files.append(f)
            reads = [client.submit(read_file, f, cfg, pure=False) for f in files]
            small = client.gather([client.submit(skips_and_warnings, r) for r in reads])
            skipped, warnings = [], []
            for what, x in order:
                if what == "skip":
                    skipped.append(x)
                else:
                    skipped.extend(small[x][0])
            for _, w in small:
                warnings.extend(w)
            renumber = True
            if len(listed) == len(ref_files):
                self._ref_files = len(files)
            if indexed:  # the references' indexes, after their files
                reads.insert(self._ref_files, client.scatter((list(indexed), [], [])))
                self._ref_files += 1
        self._reads, self._renumber = reads, renumber
        return skipped, warnings

    def sign(self) -> list[Document]:
        """Cut the documents into partitions and prepare each on a worker; the documents' outlines
        (``partitions.outlines``: no texts), in order; :meth:`documents` fetches the texts."""
        client, cfg, reads, renumber = self.client, self.config, self._reads, self._renumber
        counts_per = client.gather([client.submit(paragraph_counts, r) for r in reads])
        total = sum(len(c) for c in counts_per)
        # global document index -> (read, local index)
        where = [(r, i) for r, c in enumerate(counts_per) for i in range(len(c))]
        counts = [n for c in counts_per for n in c]
        file_first = np.concatenate(([0], np.cumsum([len(c) for c in counts_per])))[:-1]
        refs = sum(len(c) for c in counts_per[:self._ref_files])
        self.parts = []
        self.doc_div: list[int] = []
        self.par_div: list[int] = []
        par_first = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        if self.target is None:  # the workers there are now (a cluster that scales later gets more partitions)
            # client.nthreads() lists every worker; scheduler_info() lists five in some Dask versions
            self.target = partition_size(int(par_first[-1]), len(client.nthreads()))
        cuts = cut(counts, self.target) if total else []
        self.doc_cuts = list(cuts)
        for j, (lo, hi) in enumerate(cuts):
            pieces = []
            d = lo
            while d < hi:
                r, i = where[d]
                n = min(hi - d, len(counts_per[r]) - i)
                first = int(file_first[r] + i) if renumber else None
                pieces.append((client.submit(take, reads[r], i, i + n, pure=False), 0, n, first))
                d += n
            self.parts.append(client.submit(make_part, j, lo, int(par_first[lo]), total, pieces, cfg, refs,
                                            pure=False))
            self.doc_div.append(lo)
            self.par_div.append(int(par_first[lo]))
        self.n_docs, self.n_pars = total, int(par_first[-1])
        self.stats.update(documents=total, paragraphs=self.n_pars, partitions=len(cuts))
        if cuts:
            self.doc_div.append(total - 1)
            self.par_div.append(self.n_pars - 1)
        got = client.gather([client.submit(outlines, p) for p in self.parts])
        who = client.who_has(self.parts)  # each partition's worker, where the tasks that read it run
        self.home = [sorted(who[p.key])[0] for p in self.parts]
        self.outlines = docs = [d for chunk, _ in got for d in chunk]
        self.lengths = [n for _, lengths in got for n in lengths]
        del self._reads
        self.par_doc = np.repeat(np.arange(total), counts).astype(np.int64)
        self.par_first = par_first[:-1]
        return docs

    def start_documents(self) -> None:
        """Start fetching every document's text into an unnamed temporary file in the work folder
        (``runtime.textfile``) while the workers align: their tasks encode a partition's texts
        (``partitions.texts``, ahead of the queued alignment) and a thread of the client writes them
        as they come, one partition at a time; the client never holds them all. Fetched after the
        alignment they were a serial 2.8 s at 600k paragraphs (on a cluster, the whole corpus's
        text through the client's network link after the longest stage)."""
        from concurrent.futures import ThreadPoolExecutor

        from chachong.runtime.textfile import TextFile

        store = TextFile(self.config.work_dir)  # a bad work folder fails here, in the caller
        futures = [self.client.submit(texts, p, pure=False, priority=1) for p in self.parts]
        # and each document's quote spans, made beside its text (``annotate_attribution`` read the texts
        # back for them: 1.1 s of the client's at 600k paragraphs, the workers idle)
        self._quotes = [self.client.submit(quotes, p, pure=False, priority=1) for p in self.parts]

        def fetch() -> TextFile:
            for f in futures:
                store.append_encoded(f.result())
                f.release()
            return store

        pool = ThreadPoolExecutor(1, thread_name_prefix="chachong-texts")
        self._fetching = (pool.submit(fetch), futures)
        pool.shutdown(wait=False)

    def documents(self) -> LazyDocuments:
        """Every document, in order, its text read when it is used (the record's), from the
        temporary file :meth:`start_documents` fills (started here if it was not)."""
        if self._fetching is None:
            self.start_documents()
        store = self._fetching[0].result()
        self._fetching = None
        return LazyDocuments(self.outlines, store.read, self.lengths)

    def quote_spans(self) -> dict[str, list[tuple[int, int]]] | None:
        """Each document's quote spans (``attribution.quote_spans``) by id, from :meth:`start_documents`'s
        tasks (None before they are started: the stage reads the texts then)."""
        if not self._quotes:
            return None
        spans = [x for chunk in self.client.gather(self._quotes) for x in chunk]
        return dict(zip((d.id for d in self.outlines), spans))

    def stop(self) -> None:
        """Cancel a fetch of the texts still running (an audit that failed on the way)."""
        fetching, self._fetching = self._fetching, None
        if fetching is not None:
            self.client.cancel(fetching[1])
            try:
                fetching[0].result()
            except BaseException:  # noqa: BLE001 - cancelled, or failed with the audit: the audit's error is raised
                pass

    # ---- helpers ----

    def _from_parts(self, fn, meta, *args, extra: list | None = None):
        import dask.dataframe as dd
        from dask import delayed

        extra = extra or [()] * len(self.parts)
        return dd.from_delayed([delayed(fn)(p, *e, *args) for p, e in zip(self.parts, extra)], meta=meta,
                               verify_meta=False)

    def _route(self, rows, column: str, divisions: list[int], fn, meta, *args, extra: list | None = None,
               frame_out: bool = True):
        """Send each row to the partition owning ``rows[column]``; run ``fn(its rows, part, ...)`` there,
        on the worker holding the partition (:meth:`_near`). Returns a frame of fn's results, or
        (their futures, the futures of the pieces' row counts)."""
        import dask.dataframe as dd

        client = self.client
        # a route moves few rows: Dask's task shuffle (one split and one concat per partition) costs
        # less than the P2P extension's disk buffers and barrier, which pay off on large shuffles
        routed = rows.set_index(column, divisions=divisions, shuffle_method="tasks")
        extra = extra or [()] * len(self.parts)
        pieces = client.compute(routed.to_delayed())
        out = [client.submit(fn, piece, part, *e, *args, pure=False, **self._near(j))
               for j, (piece, part, e) in enumerate(zip(pieces, self.parts, extra))]
        if frame_out:
            return dd.from_delayed(out, meta=meta, verify_meta=False)
        return out, [client.submit(len, piece) for piece in pieces]

    @property
    def shuffle_method(self) -> str:
        """How the large shuffles (pairing rows, alignment fingerprints) move: Dask's task shuffle up to
        ``TASK_SHUFFLE_PARTITIONS`` partitions, its P2P extension above. The task shuffle keeps the pieces
        in the workers' memory (spilled by Dask as any result) and makes P² small tasks; P2P writes every
        shard to disk behind a barrier (at 600k paragraphs 10 of the workers' 250 thread seconds went to
        its disk buffers) and takes a few tasks per partition. Interleaved with P2P at 600k paragraphs on
        two workers: 30 partitions (of 20,000 paragraphs) 0.90 and 0.94 of its time; 120 partitions 1.02, the
        scheduler's P² tasks costing what the disk saves."""
        return "tasks" if len(self.parts) <= TASK_SHUFFLE_PARTITIONS else "p2p"

    def _near(self, j: int) -> dict:
        """Where a task that reads partition ``j`` runs: on the worker holding it, or on another when
        that one is gone (a loose restriction). Placed by their inputs' sizes alone, a route's task or
        an alignment block went to its rows' worker and took the partition along (~60 MB, pickled
        documents and all): at 600k paragraphs 28 times with the partitions' true sizes known
        (``Part.__sizeof__``), 102 before; 2 now."""
        return {"workers": [self.home[j]], "allow_other_workers": True}

    def _count(self, name: str, n: int) -> None:
        self.stats[name] = self.stats.get(name, 0) + int(n)

    def _from_client(self, cols: dict[str, np.ndarray], schema: dict[str, Any]):
        import dask.dataframe as dd

        df = frame(cols, schema)
        return dd.from_pandas(df, npartitions=max(1, min(len(self.parts), len(df) // 10_000 + 1)))

    # ---- 3. pair ----

    def pairs(self) -> PairTable:
        """The verified paragraph pairs (a PairTable equal to ``find_pairs`` on the whole corpus)."""
        import dask.dataframe as dd
        import pandas as pd

        cfg, client = self.config, self.client
        bands, rows = lsh_bands(cfg)
        n = len(self.parts)
        self.stats["shuffle_method"] = self.shuffle_method
        keyed = self._from_parts(pairing.pair_rows, frame({}, pair_schema(self.n_pars)), cfg, bands, rows,
                                 self.n_pars).shuffle(on="key", npartitions=n, shuffle_method=self.shuffle_method)
        samples = self._from_parts(pairing.sample_rows, frame({}, sample_schema(self.n_pars)), self.n_pars) \
            .shuffle(on="key", npartitions=n, shuffle_method=self.shuffle_method)
        starts = client.scatter(self.par_first, broadcast=True)
        grouped = dd.map_partitions(pairing.bucket_candidates, keyed, samples, starts, meta=frame({}, CANDIDATES),
                                    align_dataframes=False)
        grouped = client.persist(grouped)
        small = client.compute(grouped[grouped["kind"] <= MEMBER], sync=True)
        cand = grouped[grouped["kind"] >= LSH_PAIR]
        cand = cand.assign(flag=(cand["kind"] - 1).astype(np.int8))  # LSH_PAIR -> LSH, FP_PAIR -> FP
        cand = cand.rename(columns={"x": "a", "y": "b"})[["a", "b", "flag"]]
        # round 1: the candidate filters, on signatures and sample counts only
        with_a = self._route(cand, "a", self.par_div, pairing.filter_attach_a,
                             meta_with_blobs(FILTER_A, ("sig_a",)))
        out, sizes = self._route(with_a, "b", self.par_div, pairing.filter_at_b, None, cfg, frame_out=False)
        got = client.gather(out + sizes)
        self._count("proposed_pairs", sum(got[len(out):]))
        filtered = pd.concat(got[:len(out)])
        ident, members = (small[small["kind"] == k] for k in (IDENT, MEMBER))
        ident = np.stack([ident["x"].to_numpy(), ident["y"].to_numpy()], axis=1).astype(np.int64)
        passed = filtered[filtered["flag"] == REP_PASSED]
        grid = expand(np.stack([passed["a"].to_numpy(), passed["b"].to_numpy()], axis=1).astype(np.int64),
                      members["x"].to_numpy().astype(np.int64), members["y"].to_numpy().astype(np.int64))
        proposed = np.stack([filtered["a"].to_numpy(), filtered["b"].to_numpy()], axis=1).astype(np.int64)
        todo = unverified([proposed, grid], ident, self.par_doc, max(self.n_pars, 1))
        # round 2: exact verification, with the shingle sets
        ver = self._verify(self._from_client({"a": todo[:, 0], "b": todo[:, 1], "flag": np.zeros(len(todo))},
                                             REQUEST))
        verified = np.stack([ver["a"].to_numpy(), ver["b"].to_numpy()], axis=1).astype(np.int64)
        return pair_table(ident, verified, ver["jaccard"].to_numpy(), ver["containment"].to_numpy(),
                          ver["kind"].to_numpy())

    def _verify(self, cand):
        import pandas as pd

        with_a = self._route(cand, "a", self.par_div, pairing.verify_attach_a,
                             meta_with_blobs(VERIFY_A, ("set_a", "cps_a")))
        out, sizes = self._route(with_a, "b", self.par_div, pairing.verify_at_b, None, self.config,
                                 frame_out=False)
        got = self.client.gather(out + sizes)
        self._count("candidates", sum(got[len(out):]))
        return pd.concat(got[:len(out)])

    # ---- 4. cluster ----

    def document_jaccards(self, table) -> dict[tuple[int, int], float]:
        """Exact Jaccards of the linked document pairs whose MinHash estimate nears document_threshold.

        As ``docpairs.document_groups``: estimates on document signatures first (small), exact
        Jaccards on document shingle sets for the few pairs that may reach the threshold
        (``pairing.doc_jaccard_at_b``: ``docpairs.may_reach``, ``exact_jaccard``).
        """
        import pandas as pd

        pairs = {(int(self.par_doc[a]), int(self.par_doc[b])) for a, b in zip(table.a, table.b)}
        self._count("linked_document_pairs", len(pairs))
        for what in ("sig", "set"):
            if not pairs:
                return {}
            arr = np.array(sorted(pairs), dtype=np.int64)
            req = self._from_client({"da": arr[:, 0], "db": arr[:, 1]}, DOC_REQ)
            with_a = self._route(req, "da", self.doc_div, pairing.doc_attach_a,
                                 meta_with_blobs(DOC_WITH_A, ("x_a",)), what)
            out, _ = self._route(with_a, "db", self.doc_div, pairing.doc_jaccard_at_b, None, what,
                                 self.config, frame_out=False)
            got = pd.concat(self.client.gather(out))
            pairs = {(int(a), int(b)) for a, b in zip(got["da"], got["db"])}
        return {(int(a), int(b)): float(j) for a, b, j in zip(got["da"], got["db"], got["jaccard"])}

    # ---- stock phrases, meanwhile ----

    def start_stock(self, plan: StockPlan, warnings: list) -> tuple[list[int], Any]:
        """Stock phrases mined by the partitions and merged (:mod:`.phrasing`) while the others
        align, for the groups of copies known now (``stock.groups_of_copies``), as the local
        engine mines them in a forked process; :meth:`finish_stock` hands them to ``annotate_stock``."""
        from chachong.stages.phrases import piece_size
        from chachong.stages.stock import groups_of_copies

        groups = groups_of_copies(plan.doc_group, identical_documents(self.doc_digests))
        found, job, sizes = phrasing.start(self.client, self.parts, self.doc_cuts, self.config, groups,
                                           piece_size())
        return groups, (found, job, sizes, list(warnings))

    def finish_stock(self, started: tuple[list[int], Any]):
        """(stage cache, covered, written) for ``stock.annotate_stock`` (:func:`.phrasing.finish`)."""
        cache, covered, written, self.stats["stock_task"] = phrasing.finish(self.client, self.config, *started)
        return cache, covered, written

    # ---- 5. align ----

    def start_fingerprints(self) -> None:
        """Winnowed fingerprints per partition (they need nothing global; started early)."""
        k, w = window(self.config.min_span)
        edges = self.client.gather([self.client.submit(aligning.edges, p, w + k) for p in self.parts])
        self.doc_digests = np.concatenate(self.client.gather([self.client.submit(aligning.part_digests, p)
                                                              for p in self.parts]))
        self.fingerprints = [self.client.submit(aligning.part_fingerprints, part,
                                                *aligning.around(edges, j, w + k), self.config)
                             for j, part in enumerate(self.parts)]

    def align(self, table: PairTable, plan: StockPlan, doc_jac: dict) -> list[BlockResult]:
        """Seed hits from the fingerprint shuffle, then every document pair aligned at the owner of b."""
        import dask.dataframe as dd
        from dask import delayed

        client, cfg = self.client, self.config
        group = client.scatter(np.asarray(plan.doc_group, dtype=np.int64), broadcast=True)
        schema = fingerprint_schema(self.n_docs, max(self.lengths, default=0))
        shuffled = self._from_parts(aligning.fingerprint_rows, frame({}, schema), schema,
                                    extra=[(f,) for f in self.fingerprints]) \
            .shuffle(on="hash", npartitions=len(self.parts), shuffle_method=self.shuffle_method)
        reduced = [delayed(aligning.fingerprint_buckets, nout=2)(piece, group, plan.min_docs)
                   for piece in shuffled.to_delayed()]
        occurrences = dd.from_delayed([r[0] for r in reduced], meta=frame({}, OCCURRENCES), verify_meta=False)
        # the common hashes are few (each is at many places): every owner of b gets them all
        common = client.compute(delayed(merge_common)([r[1] for r in reduced]))
        with_a = self._route(occurrences, "da", self.doc_div, aligning.hits_attach_a,
                             meta_with_blobs(OCC_WITH_A, ("ctx_a",)), cfg)
        # the hits stay on the owners of b; the client learns their document pairs only
        hit_parts, _ = self._route(with_a, "db", self.doc_div, aligning.hits_at_b, None, common, cfg,
                                   frame_out=False)
        found = client.gather([client.submit(aligning.hit_pairs, h) for h in hit_parts])
        keep = plan.keep
        a, b = table.a[keep].astype(np.int64), table.b[keep].astype(np.int64)
        da, db = self.par_doc[a], self.par_doc[b]
        # document pairs with kept paragraph pairs, near-duplicate ones (their short paragraphs pair up)
        # and identical ones (copies however short)
        linked = set(zip(da.tolist(), db.tolist())) | {p for p, j in doc_jac.items() if j >= cfg.document_threshold}
        linked |= identical_documents(self.doc_digests)
        tp = np.array(sorted(linked), dtype=np.int64).reshape(-1, 2)
        every = np.unique(np.concatenate([tp, *found]), axis=0) if len(tp) or found else tp
        jac = np.array([doc_jac.get((int(x), int(y)), np.nan) if (int(x), int(y)) in linked else np.nan
                        for x, y in every], np.float64)
        first = np.asarray(self.doc_div[:-1], np.int64)
        owner_b = np.searchsorted(first, every[:, 1], side="right") - 1
        owner_a = np.searchsorted(first, every[:, 0], side="right") - 1
        row_owner = np.searchsorted(first, db, side="right") - 1
        kinds = {k: i for i, k in enumerate(KINDS)}
        rows = {"da": da, "ia": a - self.par_first[da], "db": db, "ib": b - self.par_first[db],
                "jaccard": table.jaccard[keep].astype(np.float64),
                "containment": table.containment[keep].astype(np.float64),
                "kind": np.array([kinds[str(k)] for k in table.kind[keep]], dtype=np.int8)}
        sm = np.array(sorted(plan.stock_members), dtype=np.int64)
        stock = client.scatter({"doc": self.par_doc[sm], "idx": sm - self.par_first[self.par_doc[sm]]},
                               broadcast=True)
        blocks = []
        for j, part in enumerate(self.parts):
            mine = owner_b == j
            pa, pb = every[mine, 0], every[mine, 1]
            o = np.lexsort((pa, pb))
            pairs = {"da": pa[o], "db": pb[o], "jaccard": jac[mine][o]}
            # the earlier documents owned elsewhere, each sent once by its owner
            exported = []
            for i in np.unique(owner_a[mine]).tolist():
                if i != j:
                    need = np.unique(pa[owner_a[mine] == i]).tolist()
                    exported.append(client.submit(aligning.export_documents, self.parts[i], need, pure=False))
            r = row_owner == j
            blocks.append(client.submit(aligning.align_block, part, hit_parts[j], pairs,
                                        {k: v[r] for k, v in rows.items()}, exported, stock, cfg, pure=False,
                                        **self._near(j)))
        self._count("document_pairs_aligned", len(every))
        return client.gather(blocks)


def stock_paragraph_texts(result) -> None:
    """The text of each stock paragraph of the record (``stock_plan`` ran on outlines): its first member's."""
    for sp in result.stock_paragraphs:
        doc_id, _, number = sp["members"][0].rpartition(":p")
        sp["text"] = result.record(doc_id).paragraphs[int(number) - 1].text


def audit_dask(
    inputs: Sequence[str | Path] | Sequence[Document],
    config: AuditConfig | None = None,
    progress: Progress | None = None,
    *,
    scheduler: str | None = None,
    client: Any = None,
    partition_paragraphs: int | None = None,
    stats: dict | None = None,
    references: Sequence[Document] = (),
):
    """Audit on a Dask cluster; the result equals :func:`chachong.engine.local.audit`'s for the same input.

    ``scheduler`` is the address of a running scheduler (``tcp://host:8786``); without it (and
    without a ``client``) a LocalCluster of ``config.workers`` processes runs for this audit.
    Paths must be readable by the workers (shared storage on a real cluster).
    ``partition_paragraphs`` sets the size of the partitions the corpus is cut into (by default
    ``partitions.partition_size`` of the corpus and the workers); ``stats``,
    when given, receives counts of the work done (partitions, candidates, ...) for benchmarks;
    ``references``: the documents of the ``config.references`` that are indexes.
    """
    from chachong.result import AuditRecord
    from chachong.stages.describe import number_passages
    from chachong.stages.docstats import merge_figures
    from chachong.ingest.metadata import load_metadata
    from chachong.stages.attribution import annotate_attribution
    from chachong.stages.stock import annotate_stock
    from chachong.runtime.gcpause import freeze_now, frozen_gc

    require_dask()
    config = config or AuditConfig()
    say = progress or (lambda _stage: None)
    own = None
    if client is None:
        client, own = connect(scheduler, config.workers)
        owned_client = client
    else:
        owned_client = None
    # as in the local engine, what lives to the end (outlines, records) holds no cyclic garbage:
    # collections leave it out (gcpause.frozen_gc: 16 full collections took 2.9 s at 600k paragraphs)
    engine = None
    try:
        with frozen_gc():
            engine = Engine(client, config, partition_paragraphs, stats)
            say("read")
            skipped, warnings = engine.read(list(inputs), references)
            say("sign")
            docs = engine.sign()
            load_metadata(docs, config)  # bad metadata fails now, not after the audit
            freeze_now()
            if not docs:
                result = AuditRecord(config, [], [], [], [], {}, skipped, warnings, corpus=None)
                say("phrases")
                annotate_stock(result)
                annotate_attribution(result)
                return result
            engine.start_fingerprints()
            say("pair")
            table = engine.pairs()
            engine.stats["verified_pairs"] = len(table)
            say("cluster")
            doc_jac = engine.document_jaccards(table)
            engine.stats["exact_document_jaccards"] = len(doc_jac)
            plan = stock_plan(docs, engine.par_doc, table, doc_jac, config)
            stock = engine.start_stock(plan, warnings)
            say("align")
            engine.start_documents()
            blocks = engine.align(table, plan, doc_jac)
            freeze_now()
            say("documents")
            # every record in the local engine's order: by its global key
            passages = number_passages([p for _, p in sorted((x for blk in blocks for x in blk.passages),
                                                              key=lambda t: t[0])])
            par_pairs = [pp for _, pp in sorted((x for blk in blocks for x in blk.paragraph_pairs),
                                                key=lambda t: t[0])]
            doc_pairs = [dp for _, dp in sorted((x for blk in blocks for x in blk.document_pairs),
                                                key=lambda t: t[0])]
            stats = merge_figures([d.id for d in docs], engine.lengths, [blk.copied for blk in blocks])
            # the stages ran on the documents' outlines; the record (and the report) holds their texts
            docs = engine.documents()
            result = AuditRecord(config, docs, par_pairs, doc_pairs, plan.clusters, stats, skipped, warnings,
                                 stock_paragraphs=plan.stock_paragraphs, passage_records=passages)
            stock_paragraph_texts(result)
            freeze_now()
            say("phrases")
            annotate_stock(result, *engine.finish_stock(stock))
            annotate_attribution(result, spans=engine.quote_spans())
            return result
    finally:
        if engine is not None:
            engine.stop()
        if owned_client is not None:
            owned_client.close()
        if own is not None:
            own.close()


__all__ = ["Engine", "audit_dask", "connect"]
