"""Geography: GSS codes, the area hierarchy, the LSOA 2011 ↔ 2021 crosswalk, boundaries, postcodes."""
