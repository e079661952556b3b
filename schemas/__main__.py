from mysql2ddb.schemas import generate

for path in generate():
    print(path)
