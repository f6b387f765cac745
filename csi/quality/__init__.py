"""Data quality on the warehouse: Great Expectations suites derived from the declarations."""
