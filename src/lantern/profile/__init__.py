"""Area profiles: one printable page per area (LSOA, MSOA, ward or district), Fingertips-style.

``collect`` reads what a page needs from the warehouse (values with 95% confidence intervals,
county and England comparisons, the index with its interval and stability, weekly cases and other
trends); ``charts`` draws the spine charts, trends and the map inset as SVG; ``text`` writes the
plain-language summary; ``render`` turns pages into HTML and ``pdf`` prints them with Chromium.
"""
