from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    # govuk-init.js imports GOV.UK Frontend as an ES module: rewrite that
    # import to the hashed file name too, so both are cached for a year.
    support_js_module_import_aggregation = True
