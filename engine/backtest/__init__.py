"""Back-test: the product's advice measured against what really happened (issue 20).

metrics.py  AUC, Gini, KS, bad rates with Wilson intervals, bootstrap, PSI, cut-off costs:
            pure functions, no engine import
credit.py   a batch results file joined with a credit outcomes file: the credit figures
"""
