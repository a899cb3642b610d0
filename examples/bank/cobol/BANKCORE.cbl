       IDENTIFICATION DIVISION.
       PROGRAM-ID. BANKCORE.
       AUTHOR. FICUS DEMO BANK.
      *----------------------------------------------------------------*
      * DEMO BANK CORE: MONTHLY LOAN INTEREST AND ACCOUNT TRANSFERS.
      * THE MODERN SERVICE MUST REPRODUCE THESE RULES EXACTLY.
      *----------------------------------------------------------------*
       DATA DIVISION.
       WORKING-STORAGE SECTION.
       01  WS-REQUEST-TYPE             PIC X.
           88  WS-INTEREST-REQUEST     VALUE 'I'.
           88  WS-TRANSFER-REQUEST     VALUE 'T'.
       01  WS-MAX-TRANSFER             PIC 9(7)V99 VALUE 10000.00.
       COPY ACCOUNT.
       COPY LOAN.
       COPY TRANSFER.
           EXEC SQL INCLUDE SQLCA END-EXEC.
       PROCEDURE DIVISION.
       0000-MAIN.
           EVALUATE TRUE
               WHEN WS-INTEREST-REQUEST
                   PERFORM 1000-LOAN-INTEREST
               WHEN WS-TRANSFER-REQUEST
                   PERFORM 2000-TRANSFER
           END-EVALUATE
           GOBACK.
       1000-LOAN-INTEREST.
           EXEC SQL
               SELECT PRINCIPAL, RATE INTO :LOAN-PRINCIPAL, :LOAN-RATE
                 FROM LOANS
                WHERE ID = :LOAN-ID
           END-EXEC
           COMPUTE LOAN-INTEREST ROUNDED =
               LOAN-PRINCIPAL * LOAN-RATE / 1200.
       2000-TRANSFER.
           IF TRF-AMOUNT NOT > ZERO OR TRF-AMOUNT > WS-MAX-TRANSFER
               SET TRF-REJECTED TO TRUE
               GO TO 2000-EXIT
           END-IF
           EXEC SQL
               SELECT BALANCE INTO :ACCT-BALANCE
                 FROM ACCOUNTS
                WHERE ID = :TRF-FROM-ID
           END-EXEC
           IF ACCT-BALANCE < TRF-AMOUNT
               SET TRF-REJECTED TO TRUE
               GO TO 2000-EXIT
           END-IF
           EXEC SQL
               UPDATE ACCOUNTS SET BALANCE = BALANCE - :TRF-AMOUNT
                WHERE ID = :TRF-FROM-ID
           END-EXEC
           EXEC SQL
               UPDATE ACCOUNTS SET BALANCE = BALANCE + :TRF-AMOUNT
                WHERE ID = :TRF-TO-ID
           END-EXEC
           EXEC SQL
               INSERT INTO TRANSFERS (FROM_ID, TO_ID, AMOUNT)
               VALUES (:TRF-FROM-ID, :TRF-TO-ID, :TRF-AMOUNT)
           END-EXEC
           SET TRF-DONE TO TRUE.
       2000-EXIT.
           EXIT.
