"""Coding for Perché: answers and transcripts in, coded units out.

A plain library: it never imports the workbench, FastAPI or SQLModel, takes and returns
the typed values of ``coding.schema`` (JSON through to_dict/from_dict), and loads
spaCy, scikit-learn and the embedding models on first use, never at import. Importing
``coding`` is cheap; import the module you need.

Rules and statistics:

- ``coding.language``: ``SUPPORTED_LANGUAGES``, ``detect_language``, ``nlp(lang)`` (the
  cached spaCy pipelines), ``sentence_offsets``, ``stop_words``, ``fold``.
- ``coding.units``: ``split_units`` (sentences and opinion clauses with exact offsets,
  robust to unpunctuated speech recognition output) and ``units_from_turns``.
- ``coding.ratings``: ``extract_rating`` / ``find_ratings`` (ratings said aloud,
  "direi un otto", "nine out of ten"), ``is_rating_question``, ``nps_group``, ``nps``.
- ``coding.reasons``: ``extract_reason`` (the causal clause behind an opinion),
  ``group_reasons`` (reasons of a code grouped into sub-themes), ``reason_items``.
- ``coding.questions``: ``match_questions`` (interviewer turns to interview-guide
  questions) and ``assign_questions``.
- ``coding.agreement``: ``cohen_kappa``, ``krippendorff_alpha``, ``code_agreement``.
- ``coding.drivers``: ``driver_analysis`` and ``drivers_by_segment``.

Models: ``coding.embeddings``, ``coding.codebook``, ``coding.classify``,
``coding.sentiment`` and ``coding.discovery`` (theme discovery, deductive coding,
sentiment, learning from the analyst's corrections).

Errors are in ``coding.errors``: ``CodingError`` and its subclasses, whose messages say
what to do.
"""
