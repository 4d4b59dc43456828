"""The customer directory (issue 22): every customer the product has met, with the last known
facts of each case section, so a form can be filled from it and a customer's history read."""
