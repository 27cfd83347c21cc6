"""Output: the report as text, Markdown, CSV or JSON (:mod:`.report`), its chart
(:mod:`.chart`), and tables and batch streams written to files by format (:mod:`.tables`).
Files are written with the one atomic writer, :mod:`awsip.fileio`; quantities are formatted
by :mod:`awsip.units`, JSON by :mod:`awsip.encoding`."""
