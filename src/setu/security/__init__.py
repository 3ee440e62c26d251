"""The security core: the one place that decides who may see what (issue 8).

Every package that shows or sends data asks this package; none decides on its own. It imports
no web framework (no FastAPI, no Starlette): the CLI, the web API and the exchange call it.

Modules:

- ``errors``       security errors, each a child of the :mod:`setu.errors` tree
- ``labels``       the STANAG 4774-style confidentiality label (``Label``, ``Nation``,
                   ``Purpose``), its canonical bytes, and the label algebra (``derive``,
                   ``recipient_view``)
- ``equivalence``  the national equivalence table (``equivalence.toml``): ``rank``,
                   ``equivalent``; an unmapped level is denied, never guessed;
                   ``national_rank`` on each nation's own ladder (same-nation comparisons)
- ``binding``      the STANAG 4778-style label-content binding (Ed25519 JWS)
- ``node``         this node's identity: Ed25519 signing key, ECDSA P-256 TLS certificate
- ``partners``     partner nodes' public bundles and the trusted signing keys
- ``principals``   users and partner nodes (nation, clearance, need-to-know, roles),
                   argon2id passwords and API tokens (``PrincipalStore``)
- ``gate``         THE authorisation gate: ``authorize(principal, action, resources, *,
                   context, audit)`` with the Cedar policies in ``policies/`` (default deny,
                   forbid beats permit); every decision goes to the audit hook
- ``consent``      the originator's signed consent to a third-party release
- ``audit``        the disclosure log (``AuditLog``): every decision and disclosure appended
                   to an RFC 9162 Merkle tree in the operational database, signed tree heads,
                   proofs; ``AuditLog.decision_hook()`` is the gate's ``audit`` (one
                   transaction per ``authorize`` call); ``audit_group`` group commit
- ``merkle``       RFC 9162 §2.1 tree hash, inclusion and consistency proofs (pure)
- ``audit_proof``  signed tree heads and proof documents, checked with the public key only
- ``audit_store``, ``audit_verify``, ``models_audit``  the log's tables and full verification
- ``source_labels`` labels of stored data: ``label_id`` (content address), the open-AIS default
                   a null ``label_id`` stands for, and ``setu ingest --label`` specs
- ``release``      release requests, the queue and officer approval, stored consents
                   (``ReleaseDesk``; ``Office``: database, log, node and clock of every act);
                   ``release_rules`` the items, requests and standing rules;
                   ``release_consent`` stored third-party consents, checked at every decision
- ``reclassify``   the originator's signed notice changing a classification; applied by the
                   recipient to what it holds
- ``retention``    the register of held items (``Holdings``), retention days per purpose and
                   destruction records
- ``compromise``   loss or compromise notices to the originator, due immediately
- ``models_release``  the tables of the five modules above
"""
