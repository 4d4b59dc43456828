"""sales-expert's front end: ``streamlit run ui_app.py`` (``scripts/start.sh`` does it).

Page setup, the language switch, sign-in, and one navigation with only the pages of the
signed-in user's role (``ui.navigation``); each page is a script in ``ui/views/``.
"""

from __future__ import annotations

import streamlit as st

from ui import auth, forms, navigation
from ui.i18n import language_switch, t

st.set_page_config(page_title="sales-expert", page_icon="📊", layout="wide")
language_switch()
forms.keep_values()
user = auth.current_user()
if user is None:
    page = st.navigation(
        [st.Page(auth.login_page, title=t("login.title"), url_path="login")], position="hidden"
    )
else:
    auth.user_box(user)
    page = st.navigation(navigation.pages_for(user.role))
page.run()
