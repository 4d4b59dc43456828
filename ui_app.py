"""sales-expert's front end: the script ``ui/server.py`` serves (``scripts/start.sh`` runs it).

Page setup, the session a reload keeps (``ui.session``; ``streamlit run ui/server.py`` serves
its cookie), the language switch, sign-in, and one navigation with the pages of the signed-in
user's role (``ui.navigation``); each page is a script in ``ui/views/``.
"""

from __future__ import annotations

import streamlit as st

from ui import auth, forms, navigation, session
from ui.i18n import language_switch, t

st.set_page_config(page_title="sales-expert", page_icon="📊", layout="wide")
session.restore()
language_switch()
forms.keep_values()
user = auth.current_user()
if user is None:
    page = st.navigation(navigation.sign_in_pages(auth.login_page), position="hidden")
else:
    auth.user_box(user)
    page = st.navigation(navigation.pages_for(user.role))
    problem = session.hand_over()
    if problem:
        st.warning(t("auth.session_unavailable", problem=problem))
    session.keep()
page.run()
