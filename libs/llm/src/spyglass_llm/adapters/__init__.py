"""One module per SDK shape: request translation, answers, and the errors each SDK raises."""
