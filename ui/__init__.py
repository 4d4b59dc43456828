"""The Streamlit front end: ``ui_app.py`` is the entry point; this package holds its parts.

    i18n.py        texts in the chosen language (knowledge_base/texts/<lang>/ui.yaml)
    auth.py        sign-in against the users file (engine.users), the signed-in user, page guard
    navigation.py  the pages and which roles see them
    forms.py       input forms generated from the case section models
    consult.py     running a consultation from a form, keeping the outcome per language
    explain.py     conclusions with their explanations and rule-chain graphs
    policy*.py     the Policy page: its requests (policy), parameters and rules, simulation,
                   charts, and the live policy, drafts, steps and history (policy_show)
    decide.py      the final-decision form (credit decision and referrals pages)
    referrals*.py  the Referrals page: its requests (referrals) and drawing (referrals_show)
    views/         one script per page

Pages only gather input and render; every decision and text comes from ``engine``.
"""
