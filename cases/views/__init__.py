"""Server-rendered pages (DESIGN §7): thin views over the loop's services and selectors.

- ``home``: each role's landing page (a field worker's *today*; others are redirected);
- ``report``: the mobile report form;
- ``queue``: street staff's work lists and a handler's department list;
- ``case_page``: a case with its timeline, countdown and actions; the filtered case list;
- ``actions``: the POST endpoint every action button and form on those pages uses.
"""
