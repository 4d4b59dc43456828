"""One script per page, run by ``st.navigation`` (see ``ui.navigation.PAGES``)."""
