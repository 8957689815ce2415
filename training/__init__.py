"""Build, train, evaluate and export the classifier (needs `requirements-train.txt`).

It reads and preprocesses images through the runtime package (`ai_image_classifier.imaging`),
so a trained model sees exactly what the app will feed it.
"""
