"""The DICOM node: receive films by C-STORE, screen them like a watched folder, send results back.

``config`` (who may talk to it, where results go), ``spool`` (received instances on disk before
Success is answered), ``scp`` (the pynetdicom acceptor), ``outbox`` (the persistent send queue),
``sender`` (C-STORE to the PACS) and ``service`` (``DicomNode``, which ties them together).
"""
